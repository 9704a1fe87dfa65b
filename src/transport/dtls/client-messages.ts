import { decodeError } from './errors.js'
import { ExtensionType, RENEGOTIATION_SCSV, readExtensions } from './hello.js'
import { Reader } from './reader.js'
import { DTLS_1_2 } from './record.js'

/**
 * The handshake message bodies a DTLS 1.2 PSK client writes and reads (RFC 6347 4.2, RFC 5246
 * 7.4, RFC 4279 2). The server's side of the same messages lives in hello.ts.
 */

/** Builds a ClientHello body: DTLS 1.2, empty session_id, null compression, EMS offered. */
export function serializeClientHello(options: { random: Uint8Array; cookie: Uint8Array; cipherSuites: readonly number[] }): Buffer {
  // The SCSV stands for an empty renegotiation_info (RFC 5746 3.4): we never renegotiate.
  const suites = [...options.cipherSuites, RENEGOTIATION_SCSV]
  const suiteBytes = Buffer.alloc(2 + 2 * suites.length)
  suiteBytes.writeUInt16BE(2 * suites.length, 0)
  suites.forEach((s, i) => suiteBytes.writeUInt16BE(s, 2 + 2 * i))
  // extended_master_secret, empty (RFC 7627 5.1).
  const extensions = Buffer.from([0x00, 0x04, ExtensionType.extendedMasterSecret >> 8, ExtensionType.extendedMasterSecret & 0xff, 0x00, 0x00])
  const head = Buffer.alloc(2 + 32 + 1)
  head.writeUInt16BE(DTLS_1_2, 0)
  head.set(options.random, 2)
  head[34] = 0 // no session to resume
  return Buffer.concat([head, Buffer.from([options.cookie.length]), options.cookie, suiteBytes, Buffer.from([1, 0]), extensions])
}

/** Reads a HelloVerifyRequest body: server_version and the cookie (at most 255 bytes, RFC 6347 4.2.1). */
export function parseHelloVerifyRequest(body: Uint8Array): { serverVersion: number; cookie: Uint8Array } {
  const r = new Reader(body)
  const serverVersion = r.u16()
  const cookie = r.vec8()
  if (r.remaining !== 0) throw decodeError('trailing bytes after HelloVerifyRequest')
  return { serverVersion, cookie }
}

/** The fields of a ServerHello a PSK client needs. */
export interface ServerHello {
  readonly serverVersion: number
  readonly random: Uint8Array
  readonly sessionId: Uint8Array
  readonly cipherSuite: number
  readonly compressionMethod: number
  readonly extensions: Map<number, Uint8Array>
}

/** Parses a ServerHello body; throws LWC_DTLS_DECODE on anything malformed. */
export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body)
  const serverVersion = r.u16()
  const random = r.bytes(32)
  const sessionId = r.vec8()
  if (sessionId.length > 32) throw decodeError('session_id too long')
  const cipherSuite = r.u16()
  const compressionMethod = r.u8()
  const extensions = readExtensions(r)
  if (r.remaining !== 0) throw decodeError('trailing bytes after ServerHello')
  return { serverVersion, random, sessionId, cipherSuite, compressionMethod, extensions }
}

/** Reads the psk_identity_hint of a PSK ServerKeyExchange (RFC 4279 2). */
export function parsePskServerKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body)
  const hint = r.vec16()
  if (r.remaining !== 0) throw decodeError('trailing bytes after ServerKeyExchange')
  return hint
}

/** A PSK ClientKeyExchange body: the psk_identity (RFC 4279 2). */
export function serializePskClientKeyExchange(identity: Uint8Array): Buffer {
  const len = Buffer.alloc(2)
  len.writeUInt16BE(identity.length)
  return Buffer.concat([len, identity])
}
