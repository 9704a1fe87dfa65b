import { CodecError } from '../errors.js'
import type { CodecLimits } from './limits.js'

/**
 * A strict JSON reader for the JSON content formats. Our own rather than JSON.parse because the
 * codecs need what JSON.parse cannot give: 64-bit integers without rounding (bigint), whether a
 * number was written as a float, the offset of every object for error messages, a nesting limit,
 * and duplicate keys rejected instead of silently overwritten.
 */

/** A JSON number: its value, and whether it was written with a fraction or exponent. */
export interface JsonNumber {
  readonly kind: 'number'
  /** Integers outside Number's safe range are bigints; everything else a number. */
  readonly value: number | bigint
  readonly float: boolean
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject

/** Object members in document order; duplicate keys are rejected while reading. */
export type JsonObject = Map<string, JsonValue>

export interface JsonDocument {
  readonly value: JsonValue
  /** Character offset where each array and object starts. */
  readonly offsets: Map<object, number>
}

/** Reads one JSON document (whitespace around it allowed). Throws CodecError with the offset. */
export function readJson(text: string, format: string, limits: CodecLimits): JsonDocument {
  const reader = new Reader(text, format, limits)
  reader.skipWs()
  const value = reader.value(0)
  reader.skipWs()
  if (reader.pos !== text.length) reader.fail('unexpected data after the JSON value')
  return { value, offsets: reader.offsets }
}

/** Type guard for objects of a JsonDocument. */
export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map
}

/** Type guard for numbers of a JsonDocument. */
export function isJsonNumber(v: JsonValue | undefined): v is JsonNumber {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && v.kind === 'number'
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

class Reader {
  pos = 0
  readonly offsets = new Map<object, number>()
  constructor(
    readonly text: string,
    readonly format: string,
    readonly limits: CodecLimits,
  ) {}

  fail(reason: string, at = this.pos): never {
    throw new CodecError(this.format, reason, at)
  }

  skipWs(): void {
    const t = this.text
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
      this.pos++
    }
  }

  value(depth: number): JsonValue {
    const c = this.text[this.pos]
    if (c === '{') return this.object(depth + 1)
    if (c === '[') return this.array(depth + 1)
    if (c === '"') return this.string()
    if (c === undefined) this.fail('unexpected end of JSON')
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true)
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false)
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null)
    return this.number()
  }

  literal<T>(length: number, v: T): T {
    this.pos += length
    return v
  }

  number(): JsonNumber {
    NUMBER.lastIndex = this.pos
    const m = NUMBER.exec(this.text)
    if (!m) this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`)
    const raw = m[0]
    const start = this.pos
    this.pos += raw.length
    const float = /[.eE]/.test(raw)
    if (float) {
      const value = Number(raw)
      if (!Number.isFinite(value)) this.fail('number out of range', start)
      return { kind: 'number', value, float }
    }
    // No LwM2M integer needs more than 20 digits; refusing long ones bounds BigInt parsing time.
    if (raw.length > 40) this.fail('integer literal too long', start)
    const value = Number(raw)
    return { kind: 'number', value: Number.isSafeInteger(value) ? value : BigInt(raw), float }
  }

  string(): string {
    const t = this.text
    const start = this.pos
    this.pos++
    let out = ''
    let chunk = this.pos
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string', start)
      const c = t.charCodeAt(this.pos)
      if (c === 0x22) {
        out += t.slice(chunk, this.pos)
        this.pos++
        return out
      }
      if (c < 0x20) this.fail('control character in string')
      if (c !== 0x5c) {
        this.pos++
        continue
      }
      out += t.slice(chunk, this.pos)
      const e = t[this.pos + 1]
      if (e === 'u') {
        const hex = t.slice(this.pos + 2, this.pos + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape')
        out += String.fromCharCode(parseInt(hex, 16))
        this.pos += 6
      } else {
        const s = e === undefined ? undefined : ESCAPES[e]
        if (s === undefined) this.fail('bad escape in string')
        out += s
        this.pos += 2
      }
      chunk = this.pos
    }
  }

  array(depth: number): JsonValue[] {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`)
    const out: JsonValue[] = []
    this.offsets.set(out, this.pos)
    this.pos++
    this.skipWs()
    if (this.text[this.pos] === ']') {
      this.pos++
      return out
    }
    for (;;) {
      this.skipWs()
      out.push(this.value(depth))
      if (out.length > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} array elements`)
      this.skipWs()
      const c = this.text[this.pos++]
      if (c === ']') return out
      if (c !== ',') this.fail("expected ',' or ']'", this.pos - 1)
    }
  }

  object(depth: number): JsonObject {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`)
    const out: JsonObject = new Map()
    this.offsets.set(out, this.pos)
    this.pos++
    this.skipWs()
    if (this.text[this.pos] === '}') {
      this.pos++
      return out
    }
    for (;;) {
      this.skipWs()
      const keyAt = this.pos
      if (this.text[this.pos] !== '"') this.fail('expected a member name')
      const key = this.string()
      if (out.has(key)) this.fail(`duplicate member "${key}"`, keyAt)
      this.skipWs()
      if (this.text[this.pos++] !== ':') this.fail("expected ':'", this.pos - 1)
      this.skipWs()
      out.set(key, this.value(depth))
      if (out.size > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} members`)
      this.skipWs()
      const c = this.text[this.pos++]
      if (c === '}') return out
      if (c !== ',') this.fail("expected ',' or '}'", this.pos - 1)
    }
  }
}

/** Serialises a string as a JSON string literal. */
export function jsonString(s: string): string {
  return JSON.stringify(s)
}

/**
 * Serialises a finite number or bigint as a JSON number; a float keeps a ".0" so that readers
 * without the object model still see a float. NaN and infinities have no JSON form.
 */
export function jsonNumber(n: number | bigint, float: boolean, format: string): string {
  if (typeof n === 'bigint') return n.toString()
  if (!Number.isFinite(n)) throw new CodecError(format, `${n} has no JSON representation`)
  const s = Object.is(n, -0) ? '-0' : String(n)
  return float && !/[.e]/.test(s) ? s + '.0' : s
}
