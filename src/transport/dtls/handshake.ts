import { decodeError } from './errors.js'
import { Reader } from './reader.js'

/** Handshake message types used by a PSK server (RFC 5246 7.4, RFC 6347 4.3.2). */
export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  serverKeyExchange: 12,
  serverHelloDone: 14,
  clientKeyExchange: 16,
  finished: 20,
} as const

export const HANDSHAKE_HEADER_LENGTH = 12
/** Largest handshake message we reassemble; PSK handshakes never come close. */
export const MAX_HANDSHAKE_MESSAGE = 8192

/** One handshake fragment as carried in a record (RFC 6347 4.2.2). */
export interface HandshakeFragment {
  readonly msgType: number
  readonly length: number
  readonly messageSeq: number
  readonly fragmentOffset: number
  readonly body: Uint8Array
}

/** A complete (reassembled) handshake message. */
export interface HandshakeMessage {
  readonly msgType: number
  readonly messageSeq: number
  readonly body: Uint8Array
}

/** Splits a handshake record's fragment into handshake fragments; throws LWC_DTLS_DECODE. */
export function parseHandshakeFragments(data: Uint8Array): HandshakeFragment[] {
  const out: HandshakeFragment[] = []
  const r = new Reader(data)
  while (r.remaining > 0) {
    const msgType = r.u8()
    const length = r.u24()
    const messageSeq = r.u16()
    const fragmentOffset = r.u24()
    const fragmentLength = r.u24()
    if (length > MAX_HANDSHAKE_MESSAGE) throw decodeError('handshake message too long')
    if (fragmentOffset + fragmentLength > length) throw decodeError('fragment beyond message')
    out.push({ msgType, length, messageSeq, fragmentOffset, body: r.bytes(fragmentLength) })
  }
  return out
}

/** True when the fragment holds its whole message. */
export function isWhole(fragment: HandshakeFragment): boolean {
  return fragment.fragmentOffset === 0 && fragment.body.length === fragment.length
}

/**
 * Serializes a whole message with its DTLS header (offset 0, fragment_length = length): the form
 * that is both sent and fed to the transcript hash (RFC 6347 4.2.6).
 */
export function serializeHandshake(message: HandshakeMessage): Buffer {
  const out = Buffer.allocUnsafe(HANDSHAKE_HEADER_LENGTH + message.body.length)
  out[0] = message.msgType
  out.writeUIntBE(message.body.length, 1, 3)
  out.writeUInt16BE(message.messageSeq, 4)
  out.writeUIntBE(0, 6, 3)
  out.writeUIntBE(message.body.length, 9, 3)
  out.set(message.body, HANDSHAKE_HEADER_LENGTH)
  return out
}
