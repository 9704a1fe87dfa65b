import { decodeError } from './errors.js'
import { Reader } from './reader.js'

/** Extension numbers the server looks at. */
export const ExtensionType = {
  encryptThenMac: 0x0016,
  extendedMasterSecret: 0x0017,
  sessionTicket: 0x0023,
  renegotiationInfo: 0xff01,
} as const

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746). */
export const RENEGOTIATION_SCSV = 0x00ff

/** The fields of a ClientHello (RFC 6347 4.2.1) a PSK server needs. */
export interface ClientHello {
  readonly clientVersion: number
  readonly random: Uint8Array
  readonly sessionId: Uint8Array
  readonly cookie: Uint8Array
  readonly cipherSuites: number[]
  readonly compressionMethods: Uint8Array
  readonly extensions: Map<number, Uint8Array>
}

/** Parses a ClientHello body; throws LWC_DTLS_DECODE on anything malformed. */
export function parseClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body)
  const clientVersion = r.u16()
  const random = r.bytes(32)
  const sessionId = r.vec8()
  if (sessionId.length > 32) throw decodeError('session_id too long')
  const cookie = r.vec8()
  const suitesRaw = r.vec16()
  if (suitesRaw.length < 2 || suitesRaw.length % 2 !== 0) throw decodeError('cipher_suites')
  const cipherSuites: number[] = []
  for (let i = 0; i < suitesRaw.length; i += 2) cipherSuites.push((suitesRaw[i] << 8) | suitesRaw[i + 1])
  const compressionMethods = r.vec8()
  if (compressionMethods.length < 1) throw decodeError('compression_methods')
  const extensions = readExtensions(r)
  if (r.remaining !== 0) throw decodeError('trailing bytes after ClientHello')
  return { clientVersion, random, sessionId, cookie, cipherSuites, compressionMethods, extensions }
}

/**
 * Reads the optional extensions block that ends a ClientHello or ServerHello (RFC 5246 7.4.1),
 * as type → data; a repeated type is malformed.
 */
export function readExtensions(r: Reader): Map<number, Uint8Array> {
  const extensions = new Map<number, Uint8Array>()
  if (r.remaining === 0) return extensions
  const ext = new Reader(r.vec16())
  while (ext.remaining > 0) {
    const type = ext.u16()
    const data = ext.vec16()
    if (extensions.has(type)) throw decodeError('duplicate extension')
    extensions.set(type, data)
  }
  return extensions
}

/** The HelloVerifyRequest body: server_version DTLS 1.0 (RFC 6347 4.2.1 advises it) and the cookie. */
export function serializeHelloVerifyRequest(cookie: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0xfe, 0xff, cookie.length]), cookie])
}

/** Builds a ServerHello body with an empty session_id and null compression. */
export function serializeServerHello(options: {
  random: Uint8Array
  cipherSuite: number
  extendedMasterSecret: boolean
  renegotiationInfo: boolean
  /** Echo encrypt_then_mac (RFC 7366): only for a CBC suite the client offered it with. */
  encryptThenMac?: boolean
}): Buffer {
  const exts: Buffer[] = []
  if (options.renegotiationInfo) exts.push(Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00]))
  if (options.extendedMasterSecret) exts.push(Buffer.from([0x00, 0x17, 0x00, 0x00]))
  if (options.encryptThenMac) exts.push(Buffer.from([0x00, 0x16, 0x00, 0x00]))
  const extBytes = Buffer.concat(exts)
  const head = Buffer.alloc(2 + 32 + 1 + 2 + 1)
  head.writeUInt16BE(0xfefd, 0)
  head.set(options.random, 2)
  head[34] = 0 // empty session_id: we do not resume sessions
  head.writeUInt16BE(options.cipherSuite, 35)
  head[37] = 0 // null compression
  if (extBytes.length === 0) return head
  const len = Buffer.alloc(2)
  len.writeUInt16BE(extBytes.length)
  return Buffer.concat([head, len, extBytes])
}

/** Reads the psk_identity of a PSK ClientKeyExchange (RFC 4279 2). */
export function parsePskClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body)
  const identity = r.vec16()
  if (r.remaining !== 0) throw decodeError('trailing bytes after ClientKeyExchange')
  return identity
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * A PSK identity as a string: its strict UTF-8 decoding, or undefined when the bytes are not
 * UTF-8. Strict (no replacement characters, a BOM kept) so that the mapping is one-to-one:
 * comparing the strings compares the bytes.
 */
export function decodePskIdentity(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes)
  } catch {
    return undefined
  }
}

/** A ServerKeyExchange carrying only the PSK identity hint (RFC 4279 2). */
export function serializePskServerKeyExchange(hint: Uint8Array): Buffer {
  const len = Buffer.alloc(2)
  len.writeUInt16BE(hint.length)
  return Buffer.concat([len, hint])
}
