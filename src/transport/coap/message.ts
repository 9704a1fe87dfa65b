/**
 * CoAP message codec (RFC 7252 §3): a small typed codec of our own instead of coap-packet's loose
 * objects. Decoding either returns a well-formed message or throws CoapFormatError, whatever the
 * input.
 */
import type { CoapOption } from '../types.js'
import { CoapFormatError } from './errors.js'

export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST'

export type { CoapOption } from '../types.js'

/** A decoded CoAP message. `code` is written "c.dd" ("0.01" GET, "2.05" Content, "0.00" empty). */
export interface CoapMessage {
  readonly type: CoapType
  readonly code: string
  readonly messageId: number
  readonly token: Uint8Array
  readonly options: readonly CoapOption[]
  readonly payload: Uint8Array
}

const TYPES: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST']
const EMPTY = new Uint8Array(0)

/** Code byte (class << 5 | detail) to "c.dd". */
export function codeToString(byte: number): string {
  return `${byte >> 5}.${String(byte & 0x1f).padStart(2, '0')}`
}

/** "c.dd" to the code byte; throws CoapFormatError for anything else. */
export function codeToByte(code: string): number {
  const m = /^([0-7])\.(\d\d)$/.exec(code)
  if (!m || Number(m[2]) > 31) throw new CoapFormatError(`invalid code "${code}"`)
  return (Number(m[1]) << 5) | Number(m[2])
}

/** True for 0.01-0.31 (requests), false for empty and responses. */
export function isRequestCode(code: string): boolean {
  return code.startsWith('0.') && code !== '0.00'
}

/** True for classes 2, 4 and 5 (responses). */
export function isResponseCode(code: string): boolean {
  return code[0] === '2' || code[0] === '4' || code[0] === '5'
}

/** Decodes one datagram; throws CoapFormatError on anything RFC 7252 calls a format error. */
export function decodeMessage(data: Uint8Array): CoapMessage {
  if (data.length < 4) throw new CoapFormatError('shorter than the 4-byte header', 0)
  const version = data[0] >> 6
  if (version !== 1) throw new CoapFormatError(`unknown version ${version}`, 0)
  const type = TYPES[(data[0] >> 4) & 0x03]
  const tkl = data[0] & 0x0f
  if (tkl > 8) throw new CoapFormatError(`token length ${tkl} > 8`, 0)
  const codeByte = data[1]
  const code = codeToString(codeByte)
  const messageId = (data[2] << 8) | data[3]
  if (data.length < 4 + tkl) throw new CoapFormatError('truncated token', 4)
  const token = data.slice(4, 4 + tkl)
  if (codeByte === 0 && (tkl !== 0 || data.length !== 4)) {
    throw new CoapFormatError('empty message with token or content', 4)
  }
  const options: CoapOption[] = []
  let i = 4 + tkl
  let number = 0
  let payload = EMPTY
  while (i < data.length) {
    const start = i
    const byte = data[i++]
    if (byte === 0xff) {
      if (i === data.length) throw new CoapFormatError('payload marker with empty payload', start)
      payload = data.slice(i)
      break
    }
    let delta = byte >> 4
    let length = byte & 0x0f
    if (delta === 15 || length === 15) throw new CoapFormatError('reserved option nibble 15', start)
    ;[delta, i] = readExtended(data, delta, i, start)
    ;[length, i] = readExtended(data, length, i, start)
    number += delta
    if (number > 0xffff) throw new CoapFormatError(`option number ${number} > 65535`, start)
    if (i + length > data.length) throw new CoapFormatError('option value runs past the end', start)
    options.push({ number, value: data.slice(i, i + length) })
    i += length
  }
  return { type, code, messageId, token, options, payload }
}

function readExtended(data: Uint8Array, nibble: number, i: number, start: number): [number, number] {
  if (nibble === 13) {
    if (i + 1 > data.length) throw new CoapFormatError('truncated extended option field', start)
    return [data[i] + 13, i + 1]
  }
  if (nibble === 14) {
    if (i + 2 > data.length) throw new CoapFormatError('truncated extended option field', start)
    return [((data[i] << 8) | data[i + 1]) + 269, i + 2]
  }
  return [nibble, i]
}

/**
 * Reads type and message id from a datagram too broken to decode, so that a CON can still be
 * answered with a Reset. Undefined when not even the header is there.
 */
export function peekHeader(data: Uint8Array): { type: CoapType; messageId: number } | undefined {
  if (data.length < 4 || data[0] >> 6 !== 1) return undefined
  return { type: TYPES[(data[0] >> 4) & 0x03], messageId: (data[2] << 8) | data[3] }
}

/** Encodes a message; options are sorted by number (stable, so repeated options keep their order). */
export function encodeMessage(msg: CoapMessage): Uint8Array {
  if (msg.token.length > 8) throw new CoapFormatError(`token length ${msg.token.length} > 8`)
  if (!Number.isInteger(msg.messageId) || msg.messageId < 0 || msg.messageId > 0xffff) {
    throw new CoapFormatError(`message id ${msg.messageId} out of range`)
  }
  const codeByte = codeToByte(msg.code)
  const options = [...msg.options].sort((a, b) => a.number - b.number)
  let size = 4 + msg.token.length + (msg.payload.length > 0 ? 1 + msg.payload.length : 0)
  for (const o of options) {
    if (!Number.isInteger(o.number) || o.number < 0 || o.number > 0xffff) {
      throw new CoapFormatError(`option number ${o.number} out of range`)
    }
    if (o.value.length > 0xffff + 269) throw new CoapFormatError(`option ${o.number} value too long`)
    size += 5 + o.value.length
  }
  const out = new Uint8Array(size)
  out[0] = 0x40 | (TYPES.indexOf(msg.type) << 4) | msg.token.length
  out[1] = codeByte
  out[2] = msg.messageId >> 8
  out[3] = msg.messageId & 0xff
  out.set(msg.token, 4)
  let i = 4 + msg.token.length
  let previous = 0
  for (const o of options) {
    const delta = o.number - previous
    previous = o.number
    const header = i++
    const [dn, dExt] = nibble(delta)
    const [ln, lExt] = nibble(o.value.length)
    out[header] = (dn << 4) | ln
    i = writeExtended(out, i, dn, dExt)
    i = writeExtended(out, i, ln, lExt)
    out.set(o.value, i)
    i += o.value.length
  }
  if (msg.payload.length > 0) {
    out[i++] = 0xff
    out.set(msg.payload, i)
    i += msg.payload.length
  }
  return out.subarray(0, i)
}

function nibble(n: number): [number, number] {
  if (n < 13) return [n, 0]
  if (n < 269) return [13, n - 13]
  return [14, n - 269]
}

function writeExtended(out: Uint8Array, i: number, n: number, ext: number): number {
  if (n === 13) {
    out[i] = ext
    return i + 1
  }
  if (n === 14) {
    out[i] = ext >> 8
    out[i + 1] = ext & 0xff
    return i + 2
  }
  return i
}

/** An empty ACK or RST for a message id. */
export function emptyMessage(type: 'ACK' | 'RST' | 'CON', messageId: number): CoapMessage {
  return { type, code: '0.00', messageId, token: EMPTY, options: [], payload: EMPTY }
}
