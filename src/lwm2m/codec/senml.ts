import { CodecError } from '../errors.js'
import { MAX_ID, type LwM2mPath } from '../path.js'

/**
 * What the name-carrying formats (SenML JSON, SenML CBOR, LwM2M JSON) share: records whose names
 * resolve (base name + name, RFC 8428 §4.5) to full resource paths, turned into LwM2M nodes with
 * the object model's types (senml-build.ts), and back (senml-write.ts). Each format only reads and
 * writes its own syntax.
 */

/** A value as the wire gave it, before the object model says what it means. */
export type RawValue =
  | { readonly kind: 'number'; readonly value: number | bigint; readonly float: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'opaque'; readonly value: Uint8Array }
  | { readonly kind: 'objlnk'; readonly value: string }

/** One resolved record: a full resource (instance) path and its raw value. */
export interface DecodedEntry {
  readonly path: LwM2mPath
  readonly raw: RawValue
  /** Resolved time (base time + time), when the record had one. */
  readonly time?: number
  /** Offset of the record in the payload, for error messages. */
  readonly offset?: number
}

/** A SenML record in any syntax, fields as RFC 8428 names them (plus LwM2M's "vlo"). */
export interface SenmlRecord {
  bn?: string
  bt?: number
  bv?: number
  n?: string
  v?: number | bigint
  /** Whether `v` was written as a float (2.0 rather than 2). */
  vFloat?: boolean
  vs?: string
  vb?: boolean
  vd?: Uint8Array
  vlo?: string
  t?: number
  offset?: number
}

/** Options a format passes to value typing. */
export interface TypingOptions {
  /** LwM2M JSON carries opaque values as base64 in "sv". */
  readonly opaqueFromString?: boolean
}

/** Resolves base names and base times of SenML records into full-path entries. */
export function resolveSenmlRecords(records: readonly SenmlRecord[], format: string): DecodedEntry[] {
  let bn = ''
  let bt: number | undefined
  let bv: number | undefined
  return records.map((r) => {
    if (r.bn !== undefined) bn = r.bn
    if (r.bt !== undefined) bt = r.bt
    if (r.bv !== undefined) bv = r.bv
    const path = resolveName(bn + (r.n ?? ''), format, r.offset)
    const time = bt === undefined && r.t === undefined ? undefined : (bt ?? 0) + (r.t ?? 0)
    return { path, raw: recordValue(r, bv, format), offset: r.offset, ...(time !== undefined && { time }) }
  })
}

/** Parses a resolved name into a resource or resource-instance path (same rules as parsePath). */
export function resolveName(name: string, format: string, offset?: number): LwM2mPath {
  const ids = scanIds(name)
  if (ids === undefined) throw new CodecError(format, `record name "${name}" is not an LwM2M path`, offset)
  if (ids.length < 3) throw new CodecError(format, `record name "${name}" is not a resource path`, offset)
  return ids.length === 3
    ? { objectId: ids[0], instanceId: ids[1], resourceId: ids[2] }
    : { objectId: ids[0], instanceId: ids[1], resourceId: ids[2], resourceInstanceId: ids[3] }
}

/**
 * The ids of `/a/b/c` (leading and trailing slashes optional), each 1-5 digits and at most
 * MAX_ID, at most four; undefined otherwise. A character scan: this runs once per record.
 */
function scanIds(name: string): number[] | undefined {
  let start = 0
  let end = name.length
  while (start < end && name.charCodeAt(start) === 0x2f) start++
  while (end > start && name.charCodeAt(end - 1) === 0x2f) end--
  if (start === end) return undefined
  const ids: number[] = []
  let id = 0
  let digits = 0
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2f : name.charCodeAt(i)
    if (c === 0x2f) {
      if (digits === 0 || id > MAX_ID || ids.length === 4) return undefined
      ids.push(id)
      id = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39 && digits < 5) {
      id = id * 10 + (c - 0x30)
      digits++
    } else return undefined
  }
  return ids
}

function recordValue(r: SenmlRecord, bv: number | undefined, format: string): RawValue {
  const present = [r.v, r.vs, r.vb, r.vd, r.vlo].filter((x) => x !== undefined).length
  if (present === 0) throw new CodecError(format, 'record has no value', r.offset)
  if (present > 1) throw new CodecError(format, 'record has more than one value', r.offset)
  if (r.v !== undefined) {
    if (bv === undefined) return { kind: 'number', value: r.v, float: r.vFloat ?? false }
    return { kind: 'number', value: bv + Number(r.v), float: true }
  }
  if (r.vs !== undefined) return { kind: 'string', value: r.vs }
  if (r.vb !== undefined) return { kind: 'boolean', value: r.vb }
  if (r.vd !== undefined) return { kind: 'opaque', value: r.vd }
  return { kind: 'objlnk', value: r.vlo as string }
}
