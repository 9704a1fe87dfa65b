import { CodecError } from '../errors.js'
import type { ObjectLink, ResourceType, ResourceValue } from '../node.js'

/**
 * Primitive conversions every codec shares, so TLV, text, SenML and LwM2M JSON agree on what a
 * value of each resource type is and how it is written as text:
 * - integer, unsigned: decimal; a number when it fits Number's safe range, else a bigint
 * - float: a JS number; text like `-12.5` or `1.5e3`
 * - boolean: `1` / `0` in text
 * - time: a Date on whole seconds; text and TLV carry the signed seconds since 1970
 * - objlnk: `{ objectId, instanceId }`, text `3:0`, each id 0..65535
 * - opaque: Uint8Array; base64 in text contexts (LwM2M 1.1 plain text, LwM2M JSON "sv")
 * - none: null (executable resources)
 */

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
export const UINT64_MAX = 2n ** 64n - 1n

/** Largest time Date can hold, in seconds (ECMAScript's ±8.64e15 ms). */
const MAX_TIME_SECONDS = 8_640_000_000_000

/** A number when the integer fits Number's safe range, otherwise the bigint itself. */
export function normalizeInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

/** Whether `type` is one of the resource types of the object model. */
export function isResourceType(type: unknown): type is ResourceType {
  return (
    typeof type === 'string' &&
    ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'].includes(type)
  )
}

/** Whether `value` is an ObjectLink with both ids in 0..65535. */
export function isObjectLink(value: unknown): value is ObjectLink {
  if (typeof value !== 'object' || value === null) return false
  const { objectId, instanceId } = value as Record<string, unknown>
  return isU16(objectId) && isU16(instanceId)
}

/** A Date from whole seconds since 1970; CodecError when Date cannot hold it. */
export function timeFromSeconds(seconds: number | bigint, format = 'value', offset?: number): Date {
  if (typeof seconds === 'number' && !Number.isFinite(seconds)) {
    throw new CodecError(format, `time ${seconds} is not a number of seconds`, offset)
  }
  const s = typeof seconds === 'bigint' ? seconds : BigInt(Math.trunc(seconds))
  if (s < BigInt(-MAX_TIME_SECONDS) || s > BigInt(MAX_TIME_SECONDS)) {
    throw new CodecError(format, `time ${s} s is out of range`, offset)
  }
  return new Date(Number(s) * 1000)
}

/** Whole seconds since 1970 of a Date (sub-second parts are dropped, as on the wire). */
export function timeToSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

/**
 * Turns a loosely typed value (from JSON input, a CLI argument or another codec) into the canonical
 * value of `type`, or throws CodecError. It converts representations (a decimal string to an
 * integer, seconds to a Date, `"3:0"` to an object link, `0x…` hex to bytes) but never invents a
 * value: a fractional integer, an out-of-range number or a wrong kind is an error.
 */
export function coerceValue(type: ResourceType, value: unknown, format = 'value'): ResourceValue {
  const bad = (why: string): never => {
    throw new CodecError(format, `${why} for a ${type} resource`)
  }
  switch (type) {
    case 'string':
    case 'corelnk':
      if (typeof value !== 'string') return bad(`expected a string, got ${describe(value)}`)
      // A lone surrogate has no UTF-8 form: encoding it would silently write U+FFFD instead.
      return LONE_SURROGATE.test(value) ? bad('string holds a lone UTF-16 surrogate') : value
    case 'integer':
    case 'unsigned': {
      const n = toBigInt(value)
      if (n === undefined) return bad(`expected an integer, got ${describe(value)}`)
      checkIntegerRange(type, n, format)
      return normalizeInteger(n)
    }
    case 'float':
      if (typeof value === 'number') return value
      if (typeof value === 'bigint') {
        const n = Number(value)
        return BigInt(n) === value ? n : bad('integer is not exactly representable as a float')
      }
      if (typeof value === 'string') return textToValue('float', value, format)
      return bad(`expected a number, got ${describe(value)}`)
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (value === 0 || value === 1) return value === 1
      if (value === '0' || value === '1' || value === 'true' || value === 'false') {
        return value === '1' || value === 'true'
      }
      return bad(`expected a boolean, got ${describe(value)}`)
    case 'opaque':
      if (value instanceof Uint8Array) return new Uint8Array(value)
      if (typeof value === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(value)) {
        return new Uint8Array(Buffer.from(value.slice(2), 'hex'))
      }
      return bad(`expected bytes or 0x-prefixed hex, got ${describe(value)}`)
    case 'time':
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) return bad('invalid Date')
        return new Date(timeToSeconds(value) * 1000)
      }
      {
        const n = toBigInt(value)
        if (n === undefined) return bad(`expected seconds or a Date, got ${describe(value)}`)
        return timeFromSeconds(n, format)
      }
    case 'objlnk':
      if (isObjectLink(value)) return { objectId: value.objectId, instanceId: value.instanceId }
      if (typeof value === 'string') return textToValue('objlnk', value, format)
      return bad(`expected "objectId:instanceId", got ${describe(value)}`)
    case 'none':
      return value === null || value === undefined || value === '' ? null : bad('an executable resource has no value')
  }
}

/** Text form of a value (plain-text format, JSON string values). CodecError if it has none. */
export function valueToText(type: ResourceType, value: ResourceValue, format = 'text'): string {
  const v = coerceValue(type, value, format)
  switch (type) {
    case 'string':
    case 'corelnk':
      return v as string
    case 'integer':
    case 'unsigned':
      return String(v)
    case 'float': {
      const n = v as number
      if (!Number.isFinite(n)) throw new CodecError(format, `float ${n} has no text form`)
      return Object.is(n, -0) ? '-0' : String(n)
    }
    case 'boolean':
      return v ? '1' : '0'
    case 'time':
      return String(timeToSeconds(v as Date))
    case 'objlnk': {
      const l = v as ObjectLink
      return `${l.objectId}:${l.instanceId}`
    }
    case 'opaque':
      return Buffer.from(v as Uint8Array).toString('base64')
    case 'none':
      return ''
  }
}

const LONE_SURROGATE = /\p{Cs}/u
const INTEGER_TEXT = /^[+-]?\d{1,20}$/
const FLOAT_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$/
const OBJLNK_TEXT = /^(\d{1,5}):(\d{1,5})$/
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Parses the text form of a value of `type` strictly; CodecError (with `offset`) otherwise. */
export function textToValue(type: ResourceType, text: string, format = 'text', offset?: number): ResourceValue {
  const bad = (why: string): never => {
    throw new CodecError(format, `${JSON.stringify(text.slice(0, 40))} ${why}`, offset)
  }
  switch (type) {
    case 'string':
    case 'corelnk':
      return text
    case 'integer':
    case 'unsigned':
    case 'time': {
      if (!INTEGER_TEXT.test(text)) return bad(`is not an ${type === 'time' ? 'integer number of seconds' : 'integer'}`)
      const n = BigInt(text)
      if (type === 'time') return timeFromSeconds(n, format, offset)
      if (!integerInRange(type, n)) return bad(`is out of the ${type} range`)
      return normalizeInteger(n)
    }
    case 'float': {
      if (!FLOAT_TEXT.test(text)) return bad('is not a decimal number')
      const n = Number(text)
      return Number.isFinite(n) ? n : bad('is out of the float range')
    }
    case 'boolean':
      return text === '1' ? true : text === '0' ? false : bad('is not a boolean ("0" or "1")')
    case 'objlnk': {
      const m = OBJLNK_TEXT.exec(text)
      const link = m && { objectId: Number(m[1]), instanceId: Number(m[2]) }
      return link && isObjectLink(link) ? link : bad('is not an object link "objectId:instanceId"')
    }
    case 'opaque':
      return BASE64_TEXT.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : bad('is not base64')
    case 'none':
      return text === '' ? null : bad('is a value for an executable resource')
  }
}

/** Whether `n` fits the signed 64-bit (integer) or unsigned 64-bit (unsigned) range. */
export function integerInRange(type: 'integer' | 'unsigned', n: bigint): boolean {
  return type === 'integer' ? n >= INT64_MIN && n <= INT64_MAX : n >= 0n && n <= UINT64_MAX
}

function checkIntegerRange(type: 'integer' | 'unsigned', n: bigint, format: string): void {
  if (!integerInRange(type, n)) throw new CodecError(format, `${n} is out of the ${type} range`)
}

/** An exact integer from a number, bigint or decimal string; undefined when it is none. */
function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) return BigInt(value)
  return undefined
}

function isU16(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value instanceof Uint8Array) return 'bytes'
  if (value instanceof Date) return 'a Date'
  return typeof value
}
