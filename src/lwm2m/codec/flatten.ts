import { CodecError, InvalidPathError } from '../errors.js'
import { formatPath, parsePath, pathIds, pathLevel, toPath, type LwM2mPath } from '../path.js'
import type { LwM2mNode, ObjectInstanceNode, ResourceType, ResourceValue } from '../node.js'
import type { ModelRegistry } from '../model.js'
import { formatObjlnk, toHex } from './bytes-text.js'
import { coerceValue, timeToSeconds } from './values.js'
import { type DecodedEntry } from './senml.js'
import { buildNode } from './senml-build.js'
import { rawValue } from './senml-write.js'

/**
 * The flat form of DESIGN.md's `decode --json`: full resource (instance) paths to JSON values —
 * opaque as "0x…" hex, objlnk as "3:0", time as seconds, booleans as true/false, integers as
 * numbers when safe and decimal strings otherwise.
 */
export type FlatValue = string | number | boolean | null

const FORMAT = 'flat JSON'

/** Flattens a node read at `path` (the request path, as codecs take it) into path → value. */
export function flattenNode(node: LwM2mNode, path: LwM2mPath): Record<string, FlatValue> {
  const ids = pathIds(path)
  const out: Record<string, FlatValue> = {}
  const instance = (objectId: number, inst: ObjectInstanceNode) => {
    for (const res of inst.resources.values()) {
      const base = `/${objectId}/${inst.id}/${res.id}`
      if (res.kind === 'resource') out[base] = flatValue(res.value)
      else for (const [ri, v] of res.instances) out[`${base}/${ri}`] = flatValue(v)
    }
  }
  switch (node.kind) {
    case 'object':
      for (const inst of node.instances.values()) instance(node.id, inst)
      break
    case 'instance':
      instance(ids[0], node)
      break
    case 'resource':
      out[formatPath(toPath([ids[0], ids[1], node.id]))] = flatValue(node.value)
      break
    case 'multipleResource':
      for (const [ri, v] of node.instances) out[formatPath(toPath([ids[0], ids[1], node.id, ri]))] = flatValue(v)
      break
    case 'resourceInstance':
      out[formatPath(toPath([ids[0], ids[1], ids[2], node.id]))] = flatValue(node.value)
      break
  }
  return out
}

/** The flat JSON form of one resource value. */
export function flatValue(value: ResourceValue): FlatValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (value instanceof Uint8Array) return toHex(value)
  if (value instanceof Date) return timeToSeconds(value)
  return formatObjlnk(value)
}

/**
 * The inverse of flattenNode: builds the node of `path`'s level from path → value pairs, typing
 * each value with the object model (a resource the model lacks takes its type from the JSON
 * value). Keys must be full resource paths inside `path`; values that do not fit are CodecErrors.
 */
export function unflatten(flat: Readonly<Record<string, unknown>>, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
  const entries: DecodedEntry[] = Object.entries(flat).map(([key, value]) => {
    let p: LwM2mPath
    try {
      p = parsePath(key)
    } catch (err) {
      if (err instanceof InvalidPathError) throw new CodecError(FORMAT, `key "${key}" is not an LwM2M path`)
      throw err
    }
    const level = pathLevel(p)
    if (level !== 'resource' && level !== 'resourceInstance') {
      throw new CodecError(FORMAT, `key "${key}" is not a resource path`)
    }
    const model = models.getResource(p.objectId as number, p.resourceId as number)
    const type = model?.type ?? guessType(value, key)
    return { path: p, raw: rawValue(type, coerceValue(type, value, FORMAT), FORMAT, key) }
  })
  return buildNode(entries, path, models, FORMAT)
}

function guessType(value: unknown, key: string): ResourceType {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'bigint') return 'integer'
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'float'
  if (typeof value === 'string') return 'string'
  throw new CodecError(FORMAT, `${key}: a resource the model does not know needs a string, number or boolean`)
}
