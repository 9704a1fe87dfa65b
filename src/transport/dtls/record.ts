import { Reader, writeU48 } from './reader.js'

/** TLS record content types. */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const

export const DTLS_1_0 = 0xfeff
export const DTLS_1_2 = 0xfefd
export const RECORD_HEADER_LENGTH = 13
/** 2^14 plaintext + 2048 expansion (RFC 6347 4.1 / RFC 5246 6.2.3). */
export const MAX_RECORD_FRAGMENT = 16384 + 2048
/** The largest 48-bit sequence number. */
export const MAX_SEQ = 2 ** 48 - 1

/** One DTLSPlaintext / DTLSCiphertext record (RFC 6347 4.1). */
export interface DtlsRecord {
  readonly type: number
  readonly version: number
  readonly epoch: number
  readonly seq: number
  readonly fragment: Uint8Array
}

/**
 * Splits a datagram into records. A malformed record ends the parse: the records before it are
 * kept, the rest of the datagram is dropped (RFC 6347 4.1.2.7: invalid records are discarded).
 */
export function parseRecords(datagram: Uint8Array): DtlsRecord[] {
  const out: DtlsRecord[] = []
  const r = new Reader(datagram)
  while (r.remaining >= RECORD_HEADER_LENGTH) {
    const type = r.u8()
    const version = r.u16()
    const epoch = r.u16()
    const seq = r.u48()
    const length = r.u16()
    if (length > r.remaining || length > MAX_RECORD_FRAGMENT) break
    if (type < ContentType.changeCipherSpec || type > ContentType.applicationData) break
    if (version !== DTLS_1_2 && version !== DTLS_1_0) break
    out.push({ type, version, epoch, seq, fragment: r.bytes(length) })
  }
  return out
}

/** Serializes one record (header + fragment as given, already protected if epoch > 0). */
export function serializeRecord(record: DtlsRecord): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + record.fragment.length)
  out[0] = record.type
  out.writeUInt16BE(record.version, 1)
  out.writeUInt16BE(record.epoch, 3)
  writeU48(out, record.seq, 5)
  out.writeUInt16BE(record.fragment.length, 11)
  out.set(record.fragment, RECORD_HEADER_LENGTH)
  return out
}
