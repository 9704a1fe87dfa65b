import { CodecError } from '../errors.js'
import { MAX_ID, formatPath, pathIds, pathLevel, toPath, type LwM2mPath } from '../path.js'
import type {
  LwM2mNode,
  MultipleResource,
  ObjectInstanceNode,
  ObjectNode,
  ResourceNode,
  ResourceType,
  ResourceValue,
  SingleResource,
} from '../node.js'
import type { ModelRegistry } from '../model.js'
import { decodeBase64, formatObjlnk, parseObjlnk } from './bytes-text.js'
import { INT64_MAX, INT64_MIN, UINT64_MAX, normalizeInteger } from './values.js'

export { normalizeInteger }

/**
 * What the name-carrying formats (SenML JSON, SenML CBOR, LwM2M JSON) share: records whose names
 * resolve (base name + name, RFC 8428 §4.5) to full resource paths, turned into LwM2M nodes with
 * the object model's types, and back. Each format only reads/writes its own syntax.
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

// ---------------------------------------------------------------------------------------------
// entries → node

/**
 * Builds the node of the request path's level from decoded entries. Entries outside the path,
 * duplicates, a value where the model expects instances (or the reverse), and values of the wrong
 * type are CodecErrors. Duplicates with distinct times keep the latest (a notification history).
 */
export function buildNode(
  entries: readonly DecodedEntry[],
  path: LwM2mPath,
  models: ModelRegistry,
  format: string,
  options: TypingOptions = {},
): LwM2mNode {
  const level = pathLevel(path)
  if (level === 'root') throw new CodecError(format, 'a request path (/o, /o/i, /o/i/r or /o/i/r/ri) is needed')
  const latest = new Map<string, DecodedEntry>()
  const prefix = pathIds(path)
  for (const e of entries) {
    const p = e.path
    const ids = [p.objectId, p.instanceId, p.resourceId, p.resourceInstanceId]
    if (!prefix.every((id, i) => ids[i] === id)) {
      throw new CodecError(format, `record ${formatPath(e.path)} is outside the request path ${formatPath(path)}`, e.offset)
    }
    const key = `${p.objectId}/${p.instanceId}/${p.resourceId}/${p.resourceInstanceId ?? ''}`
    const seen = latest.get(key)
    if (seen !== undefined) {
      if (seen.time === undefined || e.time === undefined || seen.time === e.time) {
        throw new CodecError(format, `duplicate record for ${key}`, e.offset)
      }
      if (e.time < seen.time) continue
    }
    latest.set(key, e)
  }
  const list = [...latest.values()]
  const [objectId, instanceId, resourceId, resourceInstanceId] = pathIds(path)
  const b = new NodeBuilder(models, format, options)
  if (level === 'object') return b.object(objectId, list)
  if (level === 'instance') return b.instance(objectId, instanceId, list)
  if (level === 'resource') {
    // A request for /o/i/r answered with the whole resource; e.path deeper than r is an instance.
    const res = b.resource(objectId, instanceId, resourceId, list)
    if (res === undefined) throw new CodecError(format, `no value for ${formatPath(path)}`)
    return res
  }
  const only = list.filter((e) => pathIds(e.path).length === 4)
  if (only.length !== 1 || list.length !== 1) {
    throw new CodecError(format, `expected exactly one value for ${formatPath(path)}, got ${list.length}`)
  }
  const e = only[0]
  const rm = models.getResource(objectId, resourceId)
  if (rm && !rm.multiple) throw new CodecError(format, `resource ${formatPath(toPath([objectId, instanceId, resourceId]))} is single-instance`, e.offset)
  const type = rm?.type ?? inferType(e.raw)
  return { kind: 'resourceInstance', id: resourceInstanceId, type, value: b.value(e, type) }
}

/** A node and the time of its values (SenML bt + t; absolute when ≥ 2^28, else relative to now). */
export interface TimestampedNode {
  readonly time?: number
  readonly node: LwM2mNode
}

/**
 * Builds one node per distinct time of the entries (a notification carrying history), newest
 * first; entries without a time form their own node, listed first.
 */
export function buildTimestampedNodes(
  entries: readonly DecodedEntry[],
  path: LwM2mPath,
  models: ModelRegistry,
  format: string,
  options: TypingOptions = {},
): TimestampedNode[] {
  const groups = new Map<number | undefined, DecodedEntry[]>()
  for (const e of entries) {
    const list = groups.get(e.time)
    if (list) list.push(e)
    else groups.set(e.time, [e])
  }
  if (groups.size === 0) groups.set(undefined, [])
  const times = [...groups.keys()].sort((a, b) => (a === undefined ? -1 : b === undefined ? 1 : b - a))
  return times.map((time) => ({
    ...(time !== undefined && { time }),
    node: buildNode(groups.get(time) as DecodedEntry[], path, models, format, options),
  }))
}

/** Builds every object present in the entries (for a payload read without a request path). */
export function buildObjects(
  entries: readonly DecodedEntry[],
  models: ModelRegistry,
  format: string,
  options: TypingOptions = {},
): ObjectNode[] {
  const byObject = new Map<number, DecodedEntry[]>()
  for (const e of entries) {
    const id = e.path.objectId as number
    byObject.set(id, [...(byObject.get(id) ?? []), e])
  }
  return [...byObject].map(([id, list]) => buildNode(list, { objectId: id }, models, format, options) as ObjectNode)
}

class NodeBuilder {
  constructor(
    readonly models: ModelRegistry,
    readonly format: string,
    readonly options: TypingOptions,
  ) {}

  object(objectId: number, entries: DecodedEntry[]): ObjectNode {
    const groups = groupBy(entries, (e) => e.path.instanceId as number)
    const instances = new Map<number, ObjectInstanceNode>()
    for (const [id, list] of groups) instances.set(id, this.instance(objectId, id, list))
    return { kind: 'object', id: objectId, instances }
  }

  instance(objectId: number, instanceId: number, entries: DecodedEntry[]): ObjectInstanceNode {
    const groups = groupBy(entries, (e) => e.path.resourceId as number)
    const resources = new Map<number, ResourceNode>()
    for (const [id, list] of groups) {
      const res = this.resource(objectId, instanceId, id, list)
      if (res) resources.set(id, res)
    }
    return { kind: 'instance', id: instanceId, resources }
  }

  resource(objectId: number, instanceId: number, resourceId: number, entries: DecodedEntry[]): ResourceNode | undefined {
    const rm = this.models.getResource(objectId, resourceId)
    const rpath = () => formatPath(toPath([objectId, instanceId, resourceId]))
    const deep = entries.filter((e) => e.path.resourceInstanceId !== undefined)
    const multiple = rm?.multiple ?? deep.length > 0
    if (multiple) {
      if (deep.length !== entries.length) {
        throw new CodecError(this.format, `resource ${rpath()} is multiple-instance: a value needs an instance id`, entries.find((e) => !deep.includes(e))?.offset)
      }
      const type = rm?.type ?? (deep.length > 0 ? inferType(deep[0].raw) : 'none')
      const instances = new Map<number, ResourceValue>()
      for (const e of deep) instances.set(e.path.resourceInstanceId as number, this.value(e, type))
      const node: MultipleResource = { kind: 'multipleResource', id: resourceId, type, instances }
      return node
    }
    if (deep.length > 0) throw new CodecError(this.format, `resource ${rpath()} is single-instance`, deep[0].offset)
    if (entries.length === 0) return undefined
    const e = entries[0]
    const type = rm?.type ?? inferType(e.raw)
    const node: SingleResource = { kind: 'resource', id: resourceId, type, value: this.value(e, type) }
    return node
  }

  value(e: DecodedEntry, type: ResourceType): ResourceValue {
    return typedValue(e.raw, type, this.format, e.offset, this.options, e.path)
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = out.get(k)
    if (list) list.push(item)
    else out.set(k, [item])
  }
  return out
}

/** Date's range in milliseconds (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15

/** The type a value has when the object model does not know the resource. */
export function inferType(raw: RawValue): ResourceType {
  switch (raw.kind) {
    case 'number':
      if (raw.float) return 'float'
      return typeof raw.value === 'bigint' && raw.value > INT64_MAX ? 'unsigned' : 'integer'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'opaque':
      return 'opaque'
    case 'objlnk':
      return 'objlnk'
  }
}

/** Turns a raw wire value into the JavaScript value of a resource type, or throws CodecError. */
export function typedValue(
  raw: RawValue,
  type: ResourceType,
  format: string,
  offset?: number,
  options: TypingOptions = {},
  where?: LwM2mPath,
): ResourceValue {
  const bad = (reason: string): never => {
    throw new CodecError(format, `${where ? formatPath(where) : 'value'}: ${reason}`, offset)
  }
  switch (type) {
    case 'string':
    case 'corelnk':
      return raw.kind === 'string' ? raw.value : bad(`expected a string for a ${type} resource, got ${raw.kind}`)
    case 'integer':
    case 'unsigned': {
      if (raw.kind !== 'number') return bad(`expected a number for an ${type} resource, got ${raw.kind}`)
      const v = raw.value
      if (typeof v === 'number' && !Number.isInteger(v)) return bad(`${v} is not an integer`)
      const big = BigInt(v)
      const [min, max] = type === 'integer' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX]
      if (big < min || big > max) return bad(`${big} is out of range for ${type}`)
      return normalizeInteger(big)
    }
    case 'float':
      return raw.kind === 'number' ? Number(raw.value) : bad(`expected a number for a float resource, got ${raw.kind}`)
    case 'boolean':
      return raw.kind === 'boolean' ? raw.value : bad(`expected a boolean, got ${raw.kind}`)
    case 'opaque':
      if (raw.kind === 'opaque') return raw.value
      if (raw.kind === 'string' && options.opaqueFromString) return decodeBase64(raw.value, format, offset)
      return bad(`expected opaque data, got ${raw.kind}`)
    case 'time': {
      if (raw.kind !== 'number') return bad(`expected a number of seconds for a time resource, got ${raw.kind}`)
      const ms = Number(raw.value) * 1000
      if (!(Math.abs(ms) <= MAX_DATE_MS)) return bad(`time ${raw.value} is out of range`)
      return new Date(ms)
    }
    case 'objlnk':
      return raw.kind === 'objlnk' ? parseObjlnk(raw.value, format, offset) : bad(`expected an object link, got ${raw.kind}`)
    case 'none':
      return bad('an executable resource has no value')
  }
}

// ---------------------------------------------------------------------------------------------
// node → entries

/** One value to write: its base name, the name relative to it, and the raw form of its value. */
export interface EncodeEntry {
  readonly base: string
  readonly name: string
  readonly raw: RawValue
}

/**
 * Flattens a node into entries named as Leshan names them: the base is the request path prefix
 * ("/3/0/" for an instance, "/3/0/7/" for a multiple resource, the full path for one value), the
 * name the rest. With `basePerInstance`, an object's base is each instance ("/3/0/"), else "/3/".
 */
export function encodeEntries(node: LwM2mNode, path: LwM2mPath, format: string, basePerInstance: boolean): EncodeEntry[] {
  const ids = pathIds(path)
  const mismatch = (): never => {
    throw new CodecError(format, `a ${node.kind} node cannot be written at ${formatPath(path)}`)
  }
  const out: EncodeEntry[] = []
  switch (node.kind) {
    case 'object': {
      if (ids.length !== 1 || ids[0] !== node.id) mismatch()
      for (const inst of node.instances.values()) {
        const base = basePerInstance ? `/${node.id}/${inst.id}/` : `/${node.id}/`
        pushInstance(out, inst, base, basePerInstance ? '' : `${inst.id}/`, format)
      }
      return out
    }
    case 'instance': {
      if (ids.length === 1) return encodeEntries({ kind: 'object', id: ids[0], instances: new Map([[node.id, node]]) }, path, format, basePerInstance)
      if (ids.length !== 2 || ids[1] !== node.id) mismatch()
      pushInstance(out, node, `/${ids[0]}/${node.id}/`, '', format)
      return out
    }
    case 'resource':
    case 'multipleResource': {
      if (ids.length !== 3 || ids[2] !== node.id) mismatch()
      if (node.kind === 'resource') {
        out.push({ base: formatPath(path), name: '', raw: rawValue(node.type, node.value, format, formatPath(path)) })
      } else {
        for (const [ri, v] of node.instances) {
          out.push({ base: formatPath(path) + '/', name: String(ri), raw: rawValue(node.type, v, format, `${formatPath(path)}/${ri}`) })
        }
      }
      return out
    }
    case 'resourceInstance': {
      if (ids.length !== 4 || ids[3] !== node.id) mismatch()
      out.push({ base: formatPath(path), name: '', raw: rawValue(node.type, node.value, format, formatPath(path)) })
      return out
    }
  }
}

function pushInstance(out: EncodeEntry[], inst: ObjectInstanceNode, base: string, prefix: string, format: string): void {
  for (const res of inst.resources.values()) {
    if (res.kind === 'resource') {
      const name = `${prefix}${res.id}`
      out.push({ base, name, raw: rawValue(res.type, res.value, format, base + name) })
    } else {
      for (const [ri, v] of res.instances) {
        const name = `${prefix}${res.id}/${ri}`
        out.push({ base, name, raw: rawValue(res.type, v, format, base + name) })
      }
    }
  }
}

/** The raw wire form of a typed value; a value that does not fit its type is a CodecError. */
export function rawValue(type: ResourceType, value: ResourceValue, format: string, where = 'value'): RawValue {
  const bad = (reason: string): never => {
    throw new CodecError(format, `${where}: ${reason}`)
  }
  switch (type) {
    case 'string':
    case 'corelnk':
      return typeof value === 'string' ? { kind: 'string', value } : bad(`expected a string for a ${type} resource`)
    case 'integer':
    case 'unsigned': {
      if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value))) {
        return bad(`expected a safe integer or bigint for an ${type} resource`)
      }
      const big = BigInt(value)
      const [min, max] = type === 'integer' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX]
      if (big < min || big > max) return bad(`${big} is out of range for ${type}`)
      return { kind: 'number', value: normalizeInteger(big), float: false }
    }
    case 'float':
      return typeof value === 'number' ? { kind: 'number', value, float: true } : bad('expected a number for a float resource')
    case 'boolean':
      return typeof value === 'boolean' ? { kind: 'boolean', value } : bad('expected a boolean')
    case 'opaque':
      return value instanceof Uint8Array ? { kind: 'opaque', value } : bad('expected a Uint8Array for an opaque resource')
    case 'time': {
      const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value * 1000 : NaN
      if (!Number.isFinite(ms)) return bad('expected a valid Date for a time resource')
      return { kind: 'number', value: Math.floor(ms / 1000), float: false }
    }
    case 'objlnk': {
      const l = value as { objectId?: unknown; instanceId?: unknown } | null
      const ok = typeof l === 'object' && l !== null && isU16(l.objectId) && isU16(l.instanceId)
      return ok ? { kind: 'objlnk', value: formatObjlnk(l as { objectId: number; instanceId: number }) } : bad('expected an object link')
    }
    case 'none':
      return bad('an executable resource has no value to write')
  }
}

function isU16(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535
}
