import { writeU48 } from './reader.js'

/** seq_num(epoch + 48-bit seq) || type || version || length: the AEAD/MAC header (RFC 6347 4.1.2.1). */
export function pseudoHeader(type: number, version: number, epoch: number, seq: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(13)
  h.writeUInt16BE(epoch, 0)
  writeU48(h, seq, 2)
  h[8] = type
  h.writeUInt16BE(version, 9)
  h.writeUInt16BE(length, 11)
  return h
}
