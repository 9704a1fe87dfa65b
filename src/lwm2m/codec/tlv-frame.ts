import { CodecError } from '../errors.js'
import { MAX_ID } from '../path.js'

/**
 * The OMA-TLV framing (LwM2M TS Core §7.4.3), without any value semantics. One type byte:
 * - bits 7-6: identifier type (00 object instance, 01 resource instance, 10 multiple resource,
 *   11 resource with a value)
 * - bit 5: identifier length (0 = 8 bits, 1 = 16 bits)
 * - bits 4-3: length type (00 = length in bits 2-0, 01/10/11 = 8/16/24-bit length field follows)
 * then the identifier, the length field and the value. Object instances contain resources,
 * multiple resources contain resource instances; nothing else nests, so depth is at most three.
 */

export type TlvType = 'objectInstance' | 'resourceInstance' | 'multipleResource' | 'resource'

export interface Tlv {
  readonly type: TlvType
  readonly id: number
  /** Offset of the type byte in the payload. */
  readonly offset: number
  /** Value bytes: the raw value of a leaf, the encoded children of a container. */
  readonly value: Uint8Array
  /** Decoded children of an object instance or multiple resource. */
  readonly children?: readonly Tlv[]
}

/** Bounds checked while decoding, so a hostile payload costs little. */
export interface TlvLimits {
  /** Largest payload in bytes (the 24-bit length caps one TLV at 16 MiB anyway). */
  readonly maxPayloadBytes: number
  /** Most TLVs, at all levels together, in one payload. */
  readonly maxTlvs: number
}

export const DEFAULT_TLV_LIMITS: TlvLimits = Object.freeze({ maxPayloadBytes: 16 * 1024 * 1024, maxTlvs: 10_000 })

/** Largest value one TLV can carry (24-bit length). */
export const MAX_TLV_LENGTH = 0xff_ffff

const TYPES: readonly TlvType[] = ['objectInstance', 'resourceInstance', 'multipleResource', 'resource']

/** Which TLV types may appear inside a container of each type ('top' = the payload itself). */
const ALLOWED_CHILDREN: Record<'top' | 'objectInstance' | 'multipleResource', readonly TlvType[]> = {
  top: TYPES,
  objectInstance: ['resource', 'multipleResource'],
  multipleResource: ['resourceInstance'],
}

/** Decodes a whole payload into TLVs (containers decoded recursively). Throws CodecError. */
export function readTlvs(payload: Uint8Array, limits: TlvLimits = DEFAULT_TLV_LIMITS): Tlv[] {
  if (payload.length > limits.maxPayloadBytes) {
    throw new CodecError('tlv', `payload of ${payload.length} bytes exceeds the ${limits.maxPayloadBytes}-byte limit`)
  }
  const budget = { left: limits.maxTlvs }
  return readSequence(payload, 0, payload.length, 'top', budget)
}

function readSequence(
  buf: Uint8Array,
  start: number,
  end: number,
  parent: keyof typeof ALLOWED_CHILDREN,
  budget: { left: number },
): Tlv[] {
  const out: Tlv[] = []
  let pos = start
  while (pos < end) {
    const offset = pos
    const typeByte = buf[pos++]
    const type = TYPES[typeByte >> 6]
    if (!ALLOWED_CHILDREN[parent].includes(type)) {
      throw new CodecError('tlv', `a ${type} TLV cannot appear inside ${parent === 'top' ? 'the payload' : `a ${parent}`}`, offset)
    }
    if (--budget.left < 0) throw new CodecError('tlv', 'too many TLVs', offset)
    const idBytes = typeByte & 0x20 ? 2 : 1
    const lengthType = (typeByte >> 3) & 0x03
    if (pos + idBytes + lengthType > end) throw new CodecError('tlv', 'truncated TLV header', offset)
    const id = idBytes === 2 ? (buf[pos] << 8) | buf[pos + 1] : buf[pos]
    pos += idBytes
    if (id > MAX_ID) throw new CodecError('tlv', `identifier ${id} is reserved`, offset)
    let length = typeByte & 0x07
    if (lengthType > 0) {
      length = 0
      for (let i = 0; i < lengthType; i++) length = (length << 8) | buf[pos++]
    }
    if (length > end - pos) {
      throw new CodecError('tlv', `value length ${length} runs past the end of its container`, offset)
    }
    const value = buf.subarray(pos, pos + length)
    const children =
      type === 'objectInstance' || type === 'multipleResource'
        ? readSequence(buf, pos, pos + length, type, budget)
        : undefined
    out.push({ type, id, offset, value, ...(children && { children }) })
    pos += length
  }
  return out
}

/** Encodes one TLV around `value` (already-encoded children for containers). */
export function writeTlv(type: TlvType, id: number, value: Uint8Array): Uint8Array {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new CodecError('tlv', `identifier ${id} is out of range`)
  const length = value.length
  if (length > MAX_TLV_LENGTH) throw new CodecError('tlv', `value of ${length} bytes exceeds the 24-bit TLV length`)
  const header: number[] = [TYPES.indexOf(type) << 6]
  if (id > 0xff) header[0] |= 0x20
  header.push(...(id > 0xff ? [id >> 8, id & 0xff] : [id]))
  if (length < 8) {
    header[0] |= length
  } else if (length <= 0xff) {
    header[0] |= 0x08
    header.push(length)
  } else if (length <= 0xffff) {
    header[0] |= 0x10
    header.push(length >> 8, length & 0xff)
  } else {
    header[0] |= 0x18
    header.push(length >> 16, (length >> 8) & 0xff, length & 0xff)
  }
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  out.set(value, header.length)
  return out
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}
