import { CodecError } from '../errors.js'
import { formatPath, pathIds, pathLevel, toPath, type LwM2mPath } from '../path.js'
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
import { decodeBase64, parseObjlnk } from './bytes-text.js'
import { INT64_MAX, INT64_MIN, UINT64_MAX, normalizeInteger, timeFromSeconds } from './values.js'
import type { DecodedEntry, RawValue, TypingOptions } from './senml.js'

/**
 * Entries → node, for the name-carrying formats: groups resolved records under the request path,
 * types each raw value with the object model, and refuses what does not fit.
 */

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
        throw new CodecError(format, `duplicate record for ${formatPath(e.path)}`, e.offset)
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
  const byObject = groupBy(entries, (e) => e.path.objectId as number)
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
    case 'time':
      // Whole seconds, as every other codec reads time (a fraction is dropped, not rounded).
      if (raw.kind !== 'number') return bad(`expected a number of seconds for a time resource, got ${raw.kind}`)
      return timeFromSeconds(raw.value, format, offset)
    case 'objlnk':
      return raw.kind === 'objlnk' ? parseObjlnk(raw.value, format, offset) : bad(`expected an object link, got ${raw.kind}`)
    case 'none':
      return bad('an executable resource has no value')
  }
}
