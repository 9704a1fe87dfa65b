import { CodecError } from '../errors.js'
import type { ObjectLink, ResourceType, ResourceValue } from '../node.js'
import { INT64_MAX, coerceValue, normalizeInteger, timeFromSeconds, timeToSeconds } from './values.js'

/**
 * Value bytes of a TLV for each resource type (LwM2M TS Core §7.4.3 and Appendix C): integers
 * and time are signed big-endian in 1, 2, 4 or 8 bytes, unsigned integers the same unsigned,
 * floats 4 or 8 bytes IEEE 754, booleans one byte 0/1, object links two 16-bit ids, strings
 * UTF-8, opaque as is, executable (none) empty.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/** Encodes a value of `type` in the fewest bytes the format allows. Throws CodecError. */
export function encodeTlvValue(type: ResourceType, value: ResourceValue): Uint8Array {
  const v = coerceValue(type, value, 'tlv')
  switch (type) {
    case 'string':
    case 'corelnk':
      return utf8Encoder.encode(v as string)
    case 'opaque':
      return v as Uint8Array
    case 'integer':
      return encodeInteger(BigInt(v as number | bigint), true)
    case 'unsigned': {
      // Sign-safe when it can be (200 as 00 C8, not C8): a LwM2M 1.0 peer reads every integer as
      // signed, and a 1.1 peer reads both forms the same.
      const n = BigInt(v as number | bigint)
      return encodeInteger(n, n <= INT64_MAX)
    }
    case 'time':
      return encodeInteger(BigInt(timeToSeconds(v as Date)), true)
    case 'float':
      return encodeFloat(v as number)
    case 'boolean':
      return Uint8Array.of(v ? 1 : 0)
    case 'objlnk': {
      const l = v as ObjectLink
      return Uint8Array.of(l.objectId >> 8, l.objectId & 0xff, l.instanceId >> 8, l.instanceId & 0xff)
    }
    case 'none':
      return new Uint8Array(0)
  }
}

/** Decodes the value bytes of a TLV as `type`; `offset` locates errors. Throws CodecError. */
export function decodeTlvValue(type: ResourceType, bytes: Uint8Array, offset: number): ResourceValue {
  const bad = (why: string): never => {
    throw new CodecError('tlv', `${type} value ${why}`, offset)
  }
  switch (type) {
    case 'string':
    case 'corelnk':
      try {
        return utf8.decode(bytes)
      } catch {
        return bad('is not valid UTF-8')
      }
    case 'opaque':
      return new Uint8Array(bytes)
    case 'integer':
    case 'unsigned':
    case 'time': {
      if (![1, 2, 4, 8].includes(bytes.length)) return bad(`has ${bytes.length} bytes, not 1, 2, 4 or 8`)
      const n = readInteger(bytes, type !== 'unsigned')
      return type === 'time' ? timeFromSeconds(n, 'tlv', offset) : normalizeInteger(n)
    }
    case 'float': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      if (bytes.length === 4) return view.getFloat32(0)
      if (bytes.length === 8) return view.getFloat64(0)
      return bad(`has ${bytes.length} bytes, not 4 or 8`)
    }
    case 'boolean':
      if (bytes.length !== 1 || bytes[0] > 1) return bad('is not one byte 0 or 1')
      return bytes[0] === 1
    case 'objlnk':
      if (bytes.length !== 4) return bad(`has ${bytes.length} bytes, not 4`)
      return { objectId: (bytes[0] << 8) | bytes[1], instanceId: (bytes[2] << 8) | bytes[3] }
    case 'none':
      return bytes.length === 0 ? null : bad('is not empty (executable resources carry no value)')
  }
}

/** Big-endian two's complement (signed) or plain (unsigned) integer of 1, 2, 4 or 8 bytes. */
function readInteger(bytes: Uint8Array, signed: boolean): bigint {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  const bits = BigInt(bytes.length * 8)
  return signed ? BigInt.asIntN(Number(bits), n) : n
}

/** The shortest of 1, 2, 4 or 8 bytes that holds `n`. */
function encodeInteger(n: bigint, signed: boolean): Uint8Array {
  for (const size of [1, 2, 4, 8]) {
    const bits = size * 8
    const fits = signed ? BigInt.asIntN(bits, n) === n : BigInt.asUintN(bits, n) === n
    if (!fits) continue
    const out = new Uint8Array(size)
    let x = BigInt.asUintN(bits, n)
    for (let i = size - 1; i >= 0; i--) {
      out[i] = Number(x & 0xffn)
      x >>= 8n
    }
    return out
  }
  throw new CodecError('tlv', `integer ${n} does not fit 8 bytes`)
}

/** 4 bytes when single precision holds the value exactly, else 8. */
function encodeFloat(n: number): Uint8Array {
  const exact32 = Number.isNaN(n) || Math.fround(n) === n
  const out = new Uint8Array(exact32 ? 4 : 8)
  const view = new DataView(out.buffer)
  if (exact32) view.setFloat32(0, n)
  else view.setFloat64(0, n)
  return out
}
