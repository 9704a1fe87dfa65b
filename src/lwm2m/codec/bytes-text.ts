import { CodecError } from '../errors.js'
import type { ObjectLink } from '../node.js'

/**
 * Text forms of opaque bytes and object links used inside the JSON formats. Decoders here are
 * strict (Node's Buffer base64 decoder skips bad characters, which would make up a value).
 */

const B64 = /^[A-Za-z0-9+/]*={0,2}$/
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Decodes base64 or base64url, padded or not; anything else is a CodecError. */
export function decodeBase64(text: string, format: string, offset?: number): Uint8Array {
  if (!B64.test(text) && !B64URL.test(text)) throw new CodecError(format, 'opaque value is not base64', offset)
  const body = text.replace(/=+$/, '')
  const padded = text.length - body.length
  if (body.length % 4 === 1 || (padded > 0 && (body.length + padded) % 4 !== 0)) {
    throw new CodecError(format, 'opaque value has a bad base64 length', offset)
  }
  const bytes = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  // Reject non-canonical trailing bits, so one value has one text form.
  if (Buffer.from(bytes).toString('base64').replace(/=+$/, '') !== body.replace(/-/g, '+').replace(/_/g, '/')) {
    throw new CodecError(format, 'opaque value has non-zero padding bits', offset)
  }
  return new Uint8Array(bytes)
}

/** Standard base64 with padding (LwM2M JSON "sv" of an opaque resource). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** base64url without padding (SenML JSON "vd", RFC 8428 §4.3). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/**
 * The alphabet of SenML JSON "vd" values we write: RFC 8428's base64url, or the standard alphabet
 * (still without padding) that some clients decode instead (Eclipse Wakaama, wakaama#698).
 */
export type OpaqueAlphabet = 'base64url' | 'base64'

/** Opaque bytes as unpadded base64 text in the given alphabet. */
export function encodeOpaqueText(bytes: Uint8Array, alphabet: OpaqueAlphabet): string {
  return alphabet === 'base64url' ? encodeBase64Url(bytes) : encodeBase64(bytes).replace(/=+$/, '')
}

/** `0x`-prefixed lower-case hex, the CLI's form of opaque values. */
export function toHex(bytes: Uint8Array): string {
  return '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Parses hex with optional 0x, whitespace and colons; undefined when it is not hex. */
export function parseHex(text: string): Uint8Array | undefined {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:]/g, '')
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined
  return new Uint8Array(Buffer.from(clean, 'hex'))
}

/** `3:0` form of an object link. */
export function formatObjlnk(link: ObjectLink): string {
  return `${link.objectId}:${link.instanceId}`
}

/** Parses `3:0` (each id 0..65535, as a 16-bit TLV field holds); anything else is a CodecError. */
export function parseObjlnk(text: string, format: string, offset?: number): ObjectLink {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text)
  const objectId = m ? Number(m[1]) : NaN
  const instanceId = m ? Number(m[2]) : NaN
  if (!(objectId <= 65535 && instanceId <= 65535)) {
    throw new CodecError(format, `object link "${text}" is not "objectId:instanceId"`, offset)
  }
  return { objectId, instanceId }
}
