import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ClientHello } from './hello.js'

const COOKIE_LENGTH = 16

/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 4.2.1): HMAC-SHA256 over the client address and
 * the ClientHello fields that must not change between the two hellos, under a secret of the
 * current time period. The secret of period n is derived from a random master secret and n, so
 * rotation follows the clock, not the traffic: a cookie verifies in the period it was made and the
 * next one (so at most 2 periods after it was made, however long the server sat idle), and no
 * state is kept per peer.
 */
export class CookieJar {
  private readonly master = randomBytes(32)
  /** The secrets of the last two periods used (derivation is cheap, but a flood asks often). */
  private readonly secrets = new Map<number, Buffer>()

  constructor(private readonly rotateMs = 60_000, private readonly now: () => number = Date.now) {}

  /** The cookie the peer must echo. */
  make(peerKey: string, hello: ClientHello): Buffer {
    return this.mac(this.secret(this.period()), peerKey, hello)
  }

  /** True when `hello.cookie` was made by us for this peer and hello, in this period or the last. */
  verify(peerKey: string, hello: ClientHello): boolean {
    if (hello.cookie.length !== COOKIE_LENGTH) return false
    const period = this.period()
    // Both compared every time, so the answer takes as long whichever period made the cookie.
    const current = timingSafeEqual(hello.cookie, this.mac(this.secret(period), peerKey, hello))
    const previous = timingSafeEqual(hello.cookie, this.mac(this.secret(period - 1), peerKey, hello))
    return current || previous
  }

  private period(): number {
    return Math.floor(this.now() / this.rotateMs)
  }

  private secret(period: number): Buffer {
    let s = this.secrets.get(period)
    if (s) return s
    const n = Buffer.alloc(8)
    n.writeBigInt64BE(BigInt(period))
    s = createHmac('sha256', this.master).update('lwchain dtls cookie period').update(n).digest()
    this.secrets.set(period, s)
    for (const p of this.secrets.keys()) if (p < period - 1 || p > period + 1) this.secrets.delete(p)
    return s
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
