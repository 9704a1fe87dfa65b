import { decodeError } from './errors.js'
import type { HandshakeFragment, HandshakeMessage } from './handshake.js'

/** How far ahead of the expected message_seq we buffer (bounded memory). */
const MAX_AHEAD = 4

interface Partial {
  msgType: number
  body: Uint8Array
  filled: Uint8Array
  missing: number
}

/**
 * Reassembles fragmented and reordered handshake messages of one handshake (RFC 6347 4.2.3).
 * Messages are released strictly in message_seq order; fragments of older messages are ignored
 * (the caller treats them as retransmissions), messages too far ahead are dropped.
 */
export class Reassembler {
  private readonly partial = new Map<number, Partial>()

  constructor(private nextSeq: number) {}

  /** The next message_seq the peer must send. */
  get expected(): number {
    return this.nextSeq
  }

  /** Adds a fragment; returns false when it belongs to an already released message. */
  add(fragment: HandshakeFragment): boolean {
    const seq = fragment.messageSeq
    if (seq < this.nextSeq) return false
    if (seq >= this.nextSeq + MAX_AHEAD) return true
    let p = this.partial.get(seq)
    if (!p) {
      p = {
        msgType: fragment.msgType,
        body: new Uint8Array(fragment.length),
        filled: new Uint8Array(fragment.length),
        missing: fragment.length,
      }
      this.partial.set(seq, p)
    } else if (p.msgType !== fragment.msgType || p.body.length !== fragment.length) {
      throw decodeError('fragment disagrees with earlier fragments')
    }
    const { fragmentOffset: off, body } = fragment
    for (let i = 0; i < body.length; i++) {
      if (p.filled[off + i] === 0) {
        p.filled[off + i] = 1
        p.missing--
      }
    }
    p.body.set(body, off)
    return true
  }

  /** Releases the next message once it is complete. */
  next(): HandshakeMessage | undefined {
    const p = this.partial.get(this.nextSeq)
    if (!p || p.missing > 0) return undefined
    this.partial.delete(this.nextSeq)
    return { msgType: p.msgType, messageSeq: this.nextSeq++, body: p.body }
  }
}
