import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ClientHello } from './hello.js'

const COOKIE_LENGTH = 16

/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 4.2.1): HMAC-SHA256 over the client address and
 * the ClientHello fields that must not change between the two hellos, under a secret that rotates.
 * A cookie made under the current or the previous secret verifies, so no state is kept per peer.
 */
export class CookieJar {
  private current = randomBytes(32)
  private previous = randomBytes(32)
  private rotatedAt: number

  constructor(private readonly rotateMs = 60_000, private readonly now: () => number = Date.now) {
    this.rotatedAt = now()
  }

  /** The cookie the peer must echo. */
  make(peerKey: string, hello: ClientHello): Buffer {
    this.maybeRotate()
    return this.mac(this.current, peerKey, hello)
  }

  /** True when `hello.cookie` was made by us for this peer and hello, recently. */
  verify(peerKey: string, hello: ClientHello): boolean {
    this.maybeRotate()
    if (hello.cookie.length !== COOKIE_LENGTH) return false
    return (
      timingSafeEqual(hello.cookie, this.mac(this.current, peerKey, hello)) ||
      timingSafeEqual(hello.cookie, this.mac(this.previous, peerKey, hello))
    )
  }

  private maybeRotate(): void {
    if (this.now() - this.rotatedAt < this.rotateMs) return
    this.previous = this.current
    this.current = randomBytes(32)
    this.rotatedAt = this.now()
  }

  private mac(secret: Buffer, peerKey: string, hello: ClientHello): Buffer {
    const h = createHmac('sha256', secret)
    h.update(peerKey)
    const v = Buffer.alloc(2)
    v.writeUInt16BE(hello.clientVersion)
    h.update(v).update(hello.random).update(Buffer.from([hello.sessionId.length])).update(hello.sessionId)
    for (const s of hello.cipherSuites) h.update(Buffer.from([s >> 8, s & 0xff]))
    h.update(hello.compressionMethods)
    return h.digest().subarray(0, COOKIE_LENGTH)
  }
}
