import { UsageError } from '../../errors/base.js'
import { CodecError } from '../../lwm2m/errors.js'
import { formatPath, parsePath, pathIds, toPath, type LwM2mPath } from '../../lwm2m/path.js'
import type { ModelRegistry } from '../../lwm2m/model.js'
import { codecByName } from '../../lwm2m/codec/index.js'
import { unflatten } from '../../lwm2m/codec/flatten.js'
import { encodeCompositeNodes, type PathNode } from '../../lwm2m/codec/composite.js'
import { ContentFormat } from '../../lwm2m/content-format.js'
import { isJsonNumber, isJsonObject, readJson, type JsonValue } from '../../lwm2m/codec/json-reader.js'
import { DEFAULT_LIMITS } from '../../lwm2m/codec/limits.js'
import { formatLinks, type Link, type LinkAttributeValue } from '../../lwm2m/link-format.js'
import { optionalPath, parseFormatName } from './format.js'

export interface EncodeOptions {
  /** Request path to encode at (`--path`); inferred from the keys when they share one instance. */
  readonly path?: string
  readonly models: ModelRegistry
}

export interface EncodeResult {
  readonly hex: string
  readonly path?: string
}

/**
 * `lwchain encode <format> <json>`: encodes DESIGN.md's flat path → value object (the output of
 * `decode --json`) and returns the payload as hex. For `link`, the input is a JSON array of links
 * (`{target, attributes}`) or link-format text in a JSON string.
 */
export function encodeCommand(format: string, input: string, opts: EncodeOptions): EncodeResult {
  const name = parseFormatName(format)
  const json = readInput(input)
  if (name === 'link') return { hex: toHex(new TextEncoder().encode(linkText(json))) }
  if (!isJsonObject(json)) throw new UsageError('input must be a JSON object of resource paths to values, e.g. {"/3/0/0":"Acme"}')
  const flat: Record<string, unknown> = {}
  for (const [k, v] of json) flat[k] = plain(v)
  const single = name === 'text' || name === 'opaque'
  const codec = codecByName(name)
  const keys = Object.keys(flat)
  if (opts.path === undefined && isComposite(codec.format) && spansObjects(keys)) {
    // SenML carries full names, so values of several objects go in one pack (as a Send does).
    const byObject = new Map<number, string[]>()
    for (const k of keys) {
      const o = parsePath(k).objectId as number
      byObject.set(o, [...(byObject.get(o) ?? []), k])
    }
    const nodes = [...byObject].map(([objectId, ks]): PathNode => {
      const path = toPath([objectId])
      return [path, unflatten(Object.fromEntries(ks.map((k) => [k, flat[k]])), path, opts.models)]
    })
    return { hex: toHex(encodeCompositeNodes(codec.format, nodes)), path: '/' }
  }
  const path = optionalPath(opts.path) ?? inferPath(keys, single)
  const node = unflatten(flat, path, opts.models)
  return { hex: toHex(codec.encode(node, path, opts.models)), path: formatPath(path) }
}

function isComposite(format: number): boolean {
  return format === ContentFormat.SENML_JSON || format === ContentFormat.SENML_CBOR
}

function spansObjects(keys: string[]): boolean {
  return new Set(keys.map((k) => parsePath(k).objectId)).size > 1
}

function readInput(input: string): JsonValue {
  try {
    return readJson(input, 'JSON input', DEFAULT_LIMITS).value
  } catch (err) {
    if (err instanceof CodecError) throw new UsageError(`input is not JSON: ${err.shortMessage.replace(/^cannot decode\/encode JSON input: /, '')}`)
    throw err
  }
}

/** JSON values as unflatten takes them: numbers (bigints beyond 2^53), strings, booleans, null. */
function plain(v: JsonValue): unknown {
  if (isJsonNumber(v)) return v.value
  if (v === null || typeof v !== 'object') return v
  throw new UsageError('values must be strings, numbers, booleans or null (opaque as "0x…", objlnk as "3:0")')
}

/** The deepest path all keys share, down to an instance (or the one resource, for text/opaque). */
function inferPath(keys: string[], single: boolean): LwM2mPath {
  if (keys.length === 0) throw new UsageError('nothing to encode: give at least one "path": value, or --path')
  const all = keys.map((k) => pathIds(parsePath(k)))
  if (single) {
    if (keys.length !== 1) throw new UsageError('text and opaque hold one value: give exactly one path')
    return toPath(all[0])
  }
  const common: number[] = []
  for (let level = 0; level < 2; level++) {
    const id = all[0][level]
    if (id === undefined || !all.every((ids) => ids[level] === id)) break
    common.push(id)
  }
  if (common.length === 0) throw new UsageError('the paths span several objects: give --path')
  return toPath(common)
}

function linkText(json: JsonValue): string {
  if (typeof json === 'string') return json
  if (!Array.isArray(json)) throw new UsageError('link input must be a JSON array of {target, attributes} or a JSON string')
  const links = json.map((item): Link => {
    if (!isJsonObject(item) || typeof item.get('target') !== 'string') throw new UsageError('each link needs a "target" string')
    const attrs = item.get('attributes')
    const attributes: Record<string, LinkAttributeValue> = {}
    if (attrs !== undefined && !isJsonObject(attrs)) throw new UsageError('"attributes" must be an object')
    for (const [k, v] of attrs ?? []) {
      if (isJsonNumber(v)) attributes[k] = Number(v.value)
      else if (typeof v === 'string' || v === true) attributes[k] = v
      else throw new UsageError(`attribute "${k}" must be a string, a number or true`)
    }
    return { target: item.get('target') as string, attributes }
  })
  return formatLinks(links)
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
