/** CoAP option numbers and value helpers (RFC 7252 §5.10, RFC 7641, RFC 7959). */
import { CoapFormatError } from './errors.js'
import type { CoapOption } from './message.js'

export const OptionNumber = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  NO_RESPONSE: 258,
} as const

/** Options this endpoint understands; an unknown critical (odd) one in a request gets 4.02. */
const KNOWN = new Set<number>(Object.values(OptionNumber).filter((n) => n !== 35 && n !== 39))

/** RFC 7252 §5.4.1: odd option numbers are critical. */
export function isCritical(number: number): boolean {
  return (number & 1) === 1
}

/** The first unknown critical option of a list, if any. */
export function firstUnknownCritical(options: readonly CoapOption[]): number | undefined {
  return options.find((o) => isCritical(o.number) && !KNOWN.has(o.number))?.number
}

/** Minimal big-endian unsigned encoding (0 is the empty string). */
export function encodeUint(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new CoapFormatError(`option integer ${value} out of range`)
  }
  const bytes: number[] = []
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Uint8Array.from(bytes)
}

/** Big-endian unsigned of at most 4 bytes. */
export function decodeUint(value: Uint8Array): number {
  if (value.length > 4) throw new CoapFormatError(`integer option of ${value.length} bytes`)
  let n = 0
  for (const b of value) n = n * 256 + b
  return n
}

/** First value of an option, undefined when absent. */
export function getOption(options: readonly CoapOption[], number: number): Uint8Array | undefined {
  return options.find((o) => o.number === number)?.value
}

const dec = new TextDecoder()
const enc = new TextEncoder()

/** All values of a repeatable string option (Uri-Path, Uri-Query, Location-Path). */
export function getStrings(options: readonly CoapOption[], number: number): string[] {
  return options.filter((o) => o.number === number).map((o) => dec.decode(o.value))
}

/** First value of an integer option. */
export function getUint(options: readonly CoapOption[], number: number): number | undefined {
  const v = getOption(options, number)
  return v === undefined ? undefined : decodeUint(v)
}

/** One option per string. */
export function stringOptions(number: number, values: readonly string[]): CoapOption[] {
  return values.map((v) => ({ number, value: enc.encode(v) }))
}

/** A Block1/Block2 value: block number, more flag, size exponent (size = 2^(szx+4)). */
export interface BlockValue {
  readonly num: number
  readonly more: boolean
  readonly szx: number
}

/** Block size in bytes of a size exponent. */
export function blockSize(szx: number): number {
  return 1 << (szx + 4)
}

/** The size exponent for a block size (16..1024, power of two). */
export function sizeToSzx(size: number): number {
  const szx = Math.log2(size) - 4
  if (!Number.isInteger(szx) || szx < 0 || szx > 6) throw new CoapFormatError(`block size ${size} is not 16..1024`)
  return szx
}

/** Encodes a Block option value (RFC 7959 §2.2). */
export function encodeBlock(b: BlockValue): Uint8Array {
  if (b.num > 0xfffff) throw new CoapFormatError(`block number ${b.num} too large`)
  return encodeUint(b.num * 16 + (b.more ? 8 : 0) + b.szx)
}

/** Decodes a Block option value; szx 7 is reserved and a format error. */
export function decodeBlock(value: Uint8Array): BlockValue {
  if (value.length > 3) throw new CoapFormatError(`block option of ${value.length} bytes`)
  const n = decodeUint(value)
  const szx = n & 0x07
  if (szx === 7) throw new CoapFormatError('block size exponent 7 is reserved')
  return { num: Math.floor(n / 16), more: (n & 0x08) !== 0, szx }
}

/** Reads a Block1/Block2 option, undefined when absent. */
export function getBlock(options: readonly CoapOption[], number: 23 | 27): BlockValue | undefined {
  const v = getOption(options, number)
  return v === undefined ? undefined : decodeBlock(v)
}

/** Copy of `options` without the given numbers. */
export function withoutOptions(options: readonly CoapOption[], ...numbers: number[]): CoapOption[] {
  return options.filter((o) => !numbers.includes(o.number))
}

/** Concatenates byte arrays into a plain Uint8Array (not a Buffer, so equality checks stay simple). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let i = 0
  for (const p of parts) {
    out.set(p, i)
    i += p.length
  }
  return out
}
