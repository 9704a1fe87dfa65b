import { CodecError } from '../errors.js'
import { formatPath, pathIds, type LwM2mPath } from '../path.js'
import type { LwM2mNode, ObjectInstanceNode, ResourceType, ResourceValue } from '../node.js'
import { formatObjlnk } from './bytes-text.js'
import { INT64_MAX, INT64_MIN, UINT64_MAX, normalizeInteger } from './values.js'
import type { RawValue } from './senml.js'

/**
 * Node → entries, for the name-carrying formats: each value with its base name, relative name and
 * raw wire form; the formats only serialise them.
 */


/** One value to write: its base name, the name relative to it, and the raw form of its value. */
export interface EncodeEntry {
  readonly base: string
  readonly name: string
  readonly raw: RawValue
  /** SenML time ("t"), absolute seconds since the epoch; absent = now. */
  readonly time?: number
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
