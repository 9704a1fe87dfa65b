import { CodecError } from '../errors.js'
import type { CodecLimits } from './limits.js'

/**
 * The small part of CBOR (RFC 8949) that SenML CBOR needs, written out so that we control every
 * byte: integers keep 64-bit precision (bigint), floats keep their width's exact value, map keys
 * keep their integer/string type and order, and every malformed byte becomes a CodecError with its
 * offset. Tags other than 4 (decimal fraction) and simple values other than false/true/null are
 * rejected.
 */

/** A CBOR float, kept apart from integers so a decoder can tell 2.0 from 2. */
export interface CborFloat {
  readonly kind: 'float'
  readonly value: number
}

export type CborValue =
  | number
  | bigint
  | CborFloat
  | string
  | Uint8Array
  | boolean
  | null
  | CborValue[]
  | CborMap

/** Map entries in document order; keys are integers or text strings. */
export type CborMap = Map<number | string, CborValue>

export interface CborDocument {
  readonly value: CborValue
  /** Byte offset where each array and map starts. */
  readonly offsets: Map<object, number>
}

/** Type guard for CBOR floats. */
export function isCborFloat(v: CborValue | undefined): v is CborFloat {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array)
}

/** Decodes exactly one CBOR data item filling the whole input. */
export function readCbor(bytes: Uint8Array, format: string, limits: CodecLimits): CborDocument {
  const r = new CborReader(bytes, format, limits)
  const value = r.item(0)
  if (r.pos !== bytes.length) r.fail('unexpected data after the CBOR item')
  return { value, offsets: r.offsets }
}

const BREAK = Symbol('break')
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const UTF8_OUT = new TextEncoder()

class CborReader {
  pos = 0
  readonly offsets = new Map<object, number>()
  readonly view: DataView
  constructor(
    readonly bytes: Uint8Array,
    readonly format: string,
    readonly limits: CodecLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  fail(reason: string, at = this.pos): never {
    throw new CodecError(this.format, reason, at)
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail('truncated CBOR')
  }

  /** The argument of a head: a number, or a bigint when it does not fit a safe integer. */
  argument(info: number, start: number): number | bigint | undefined {
    if (info < 24) return info
    if (info === 24) {
      this.need(1)
      return this.bytes[this.pos++]
    }
    if (info === 25) {
      this.need(2)
      const v = this.view.getUint16(this.pos)
      this.pos += 2
      return v
    }
    if (info === 26) {
      this.need(4)
      const v = this.view.getUint32(this.pos)
      this.pos += 4
      return v
    }
    if (info === 27) {
      this.need(8)
      const v = this.view.getBigUint64(this.pos)
      this.pos += 8
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
    }
    if (info === 31) return undefined
    this.fail(`reserved additional information ${info}`, start)
  }

  length(info: number, start: number): number | undefined {
    const n = this.argument(info, start)
    if (typeof n === 'bigint' || (n !== undefined && n > this.bytes.length)) this.fail('length larger than the payload', start)
    return n
  }

  item(depth: number): CborValue {
    const v = this.itemOrBreak(depth)
    if (v === BREAK) this.fail('unexpected break', this.pos - 1)
    return v
  }

  itemOrBreak(depth: number): CborValue | typeof BREAK {
    const start = this.pos
    this.need(1)
    const head = this.bytes[this.pos++]
    const major = head >> 5
    const info = head & 0x1f
    switch (major) {
      case 0: {
        const n = this.argument(info, start)
        if (n === undefined) this.fail('indefinite integer', start)
        return n
      }
      case 1: {
        const n = this.argument(info, start)
        if (n === undefined) this.fail('indefinite integer', start)
        const v = -1n - BigInt(n)
        return v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v
      }
      case 2:
      case 3: {
        const raw = this.stringBytes(major, info, start)
        if (major === 2) return raw
        try {
          return UTF8.decode(raw)
        } catch {
          this.fail('text string is not valid UTF-8', start)
        }
      }
      // falls through (unreachable: fail throws)
      case 4:
        return this.array(info, start, depth + 1)
      case 5:
        return this.map(info, start, depth + 1)
      case 6:
        return this.tagged(info, start, depth + 1)
      default:
        return this.simple(info, start)
    }
  }

  /**
   * Tag 4, a decimal fraction [exponent, mantissa] (Leshan writes SenML CBOR times with it), as a
   * number; every other tag is refused rather than guessed at.
   */
  tagged(info: number, start: number, depth: number): CborValue {
    const tag = this.argument(info, start)
    if (tag !== 4) this.fail(`unsupported CBOR tag ${tag}`, start)
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`, start)
    const v = this.item(depth)
    const ok = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' || typeof x === 'bigint')
    if (!ok) this.fail('a decimal fraction must be [exponent, mantissa] integers', start)
    const [e, m] = (v as (number | bigint)[]).map(Number)
    if (Math.abs(e) > 400) this.fail('decimal fraction exponent out of range', start)
    const value = e >= 0 ? m * 10 ** e : m / 10 ** -e
    if (!Number.isFinite(value)) this.fail('decimal fraction out of range', start)
    return Number.isSafeInteger(value) && e >= 0 ? value : { kind: 'float', value }
  }

  stringBytes(major: number, info: number, start: number): Uint8Array {
    const n = this.length(info, start)
    if (n !== undefined) {
      this.need(n)
      const out = this.bytes.subarray(this.pos, this.pos + n)
      this.pos += n
      return out
    }
    // Indefinite length: definite chunks of the same major type until a break.
    const chunks: Uint8Array[] = []
    for (;;) {
      this.need(1)
      const h = this.bytes[this.pos]
      if (h === 0xff) {
        this.pos++
        break
      }
      if (h >> 5 !== major || (h & 0x1f) === 31) this.fail('bad chunk in indefinite-length string')
      const chunkStart = this.pos++
      chunks.push(this.stringBytes(major, h & 0x1f, chunkStart))
      if (chunks.length > this.limits.maxRecords) this.fail('too many string chunks', chunkStart)
    }
    const total = chunks.reduce((s, c) => s + c.length, 0)
    const out = new Uint8Array(total)
    let at = 0
    for (const c of chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }

  array(info: number, start: number, depth: number): CborValue[] {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`, start)
    const n = this.length(info, start)
    if (n !== undefined && n > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} elements`, start)
    const out: CborValue[] = []
    this.offsets.set(out, start)
    for (let i = 0; n === undefined || i < n; i++) {
      const v = this.itemOrBreak(depth)
      if (v === BREAK) {
        if (n !== undefined) this.fail('unexpected break', this.pos - 1)
        break
      }
      out.push(v)
      if (out.length > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} elements`, start)
    }
    return out
  }

  map(info: number, start: number, depth: number): CborMap {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`, start)
    const n = this.length(info, start)
    if (n !== undefined && n > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} entries`, start)
    const out: CborMap = new Map()
    this.offsets.set(out, start)
    for (let i = 0; n === undefined || i < n; i++) {
      const keyAt = this.pos
      const k = this.itemOrBreak(depth)
      if (k === BREAK) {
        if (n !== undefined) this.fail('unexpected break', keyAt)
        break
      }
      if (typeof k !== 'number' && typeof k !== 'string') this.fail('map key is not an integer or text string', keyAt)
      if (out.has(k)) this.fail(`duplicate map key ${JSON.stringify(k)}`, keyAt)
      out.set(k, this.item(depth))
      if (out.size > this.limits.maxRecords) this.fail(`more than ${this.limits.maxRecords} entries`, start)
    }
    return out
  }

  simple(info: number, start: number): CborValue | typeof BREAK {
    switch (info) {
      case 20:
        return false
      case 21:
        return true
      case 22:
        return null
      case 25: {
        this.need(2)
        const v = halfToNumber(this.view.getUint16(this.pos))
        this.pos += 2
        return { kind: 'float', value: v }
      }
      case 26: {
        this.need(4)
        const v = this.view.getFloat32(this.pos)
        this.pos += 4
        return { kind: 'float', value: v }
      }
      case 27: {
        this.need(8)
        const v = this.view.getFloat64(this.pos)
        this.pos += 8
        return { kind: 'float', value: v }
      }
      case 31:
        return BREAK
      default:
        this.fail(`unsupported simple value ${info}`, start)
    }
  }
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN
  return sign * (1024 + mant) * 2 ** (exp - 25)
}

/** Builds CBOR bytes; integers in the shortest head, floats in the narrowest exact width. */
export class CborWriter {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private len = 0

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  /** Writes a major type with its argument (0 ≤ arg < 2^64). */
  head(major: number, arg: number | bigint): this {
    const m = major << 5
    if (typeof arg === 'number' && arg < 24) {
      this.ensure(1)
      this.buf[this.len++] = m | arg
    } else if (typeof arg === 'number' && arg < 0x100) {
      this.ensure(2)
      this.buf[this.len++] = m | 24
      this.buf[this.len++] = arg
    } else if (typeof arg === 'number' && arg < 0x10000) {
      this.ensure(3)
      this.buf[this.len++] = m | 25
      this.view.setUint16(this.len, arg)
      this.len += 2
    } else if (typeof arg === 'number' && arg < 0x100000000) {
      this.ensure(5)
      this.buf[this.len++] = m | 26
      this.view.setUint32(this.len, arg)
      this.len += 4
    } else {
      this.ensure(9)
      this.buf[this.len++] = m | 27
      this.view.setBigUint64(this.len, BigInt(arg))
      this.len += 8
    }
    return this
  }

  /** An integer in [-2^64, 2^64). */
  int(v: number | bigint): this {
    if (typeof v === 'number') return v >= 0 ? this.head(0, v) : this.head(1, -1 - v)
    return v >= 0n ? this.head(0, v) : this.head(1, -1n - v)
  }

  float(v: number): this {
    if (Number.isNaN(v) || Math.fround(v) === v) {
      this.ensure(5)
      this.buf[this.len++] = 0xfa
      this.view.setFloat32(this.len, v)
      this.len += 4
    } else {
      this.ensure(9)
      this.buf[this.len++] = 0xfb
      this.view.setFloat64(this.len, v)
      this.len += 8
    }
    return this
  }

  text(s: string): this {
    // Names and most values are ASCII: write them without an intermediate buffer.
    let ascii = true
    for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80
    if (!ascii) {
      const b = UTF8_OUT.encode(s)
      this.head(3, b.length)
      return this.raw(b)
    }
    this.head(3, s.length)
    this.ensure(s.length)
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i)
    return this
  }

  bytes(b: Uint8Array): this {
    this.head(2, b.length)
    return this.raw(b)
  }

  bool(v: boolean): this {
    this.ensure(1)
    this.buf[this.len++] = v ? 0xf5 : 0xf4
    return this
  }

  private raw(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
    return this
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}
