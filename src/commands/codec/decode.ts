import { UsageError } from '../../errors/base.js'
import { CodecError } from '../../lwm2m/errors.js'
import { FORMAT_NAMES } from '../../lwm2m/content-format.js'
import { formatPath, pathIds, pathLevel, toPath, type LwM2mPath } from '../../lwm2m/path.js'
import type { LwM2mNode, ResourceType, ResourceValue } from '../../lwm2m/node.js'
import type { ModelRegistry } from '../../lwm2m/model.js'
import { carriesNames, codecFor, decodeObjects } from '../../lwm2m/codec/index.js'
import { flattenNode, flatValue, type FlatValue } from '../../lwm2m/codec/flatten.js'
import { parseLinks, formatLinks } from '../../lwm2m/link-format.js'
import { hexInput, optionalPath, parseFormatName } from './format.js'

export interface DecodeOptions {
  /** Request path the payload answers (`--path`). */
  readonly path?: string
  /** Print DESIGN.md's flat path → value object instead of the readable tree. */
  readonly json?: boolean
  readonly models: ModelRegistry
}

/** One decoded value with what the model says about it. */
export interface DecodedRow {
  readonly path: string
  readonly name?: string
  readonly type: ResourceType
  readonly value: FlatValue
}

/**
 * `lwchain decode <format> <hex>`: decodes a captured payload and returns what to print. `input` is
 * hex text, or the bytes themselves (binary stdin). Bad hex or format: UsageError; malformed
 * payload: CodecError; bad --path: InvalidPathError.
 */
export function decodeCommand(format: string, input: string | Uint8Array, opts: DecodeOptions): string {
  const name = parseFormatName(format)
  const bytes = typeof input === 'string' ? hexInput(input) : input
  const path = optionalPath(opts.path)
  if (name === 'link') return decodeLinks(bytes, opts.json ?? false)
  const decoded = decodeNodes(FORMAT_NAMES[name], bytes, path, opts.models)
  if (opts.json) {
    const flat = Object.assign({}, ...decoded.map(([node, p]) => flattenNode(node, p))) as Record<string, FlatValue>
    return JSON.stringify(flat, null, 2)
  }
  const rows = decoded.flatMap(([node, p]) => describeNode(node, p, opts.models))
  return rows.length === 0 ? '(no values)' : formatRows(rows)
}

/** Decodes at `path`, or, for formats that carry names, every object when no path is given. */
export function decodeNodes(format: number, bytes: Uint8Array, path: LwM2mPath | undefined, models: ModelRegistry): [LwM2mNode, LwM2mPath][] {
  const codec = codecFor(format)
  if (path === undefined || pathLevel(path) === 'root') {
    if (!carriesNames(format)) throw new UsageError(`${codec.name} payloads carry no paths: give --path (e.g. --path /3/0)`)
    return decodeObjects(format, bytes, models).map((o) => [o, { objectId: o.id }])
  }
  const level = pathLevel(path)
  if ((codec.name === 'text' || codec.name === 'opaque') && level !== 'resource' && level !== 'resourceInstance') {
    throw new UsageError(`${codec.name} holds one value: give a resource path (e.g. --path /3/0/0)`)
  }
  return [[codec.decode(bytes, path, models), path]]
}

function decodeLinks(bytes: Uint8Array, json: boolean): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new CodecError('link', 'payload is not valid UTF-8')
  }
  const links = parseLinks(text)
  if (json) return JSON.stringify(links, null, 2)
  return links.map((l) => formatLinks([l])).join('\n')
}

/** Rows of every value in a node read at `path`, named after the object model. */
export function describeNode(node: LwM2mNode, path: LwM2mPath, models: ModelRegistry): DecodedRow[] {
  const ids = pathIds(path)
  const rows: DecodedRow[] = []
  const push = (o: number, i: number, r: number, ri: number | undefined, type: ResourceType, value: ResourceValue) => {
    const p = formatPath(toPath(ri === undefined ? [o, i, r] : [o, i, r, ri]))
    rows.push({ path: p, name: models.getResource(o, r)?.name, type, value: flatValue(value) })
  }
  const resource = (o: number, i: number, res: LwM2mNode) => {
    if (res.kind === 'resource') push(o, i, res.id, undefined, res.type, res.value)
    else if (res.kind === 'multipleResource') for (const [ri, v] of res.instances) push(o, i, res.id, ri, res.type, v)
  }
  switch (node.kind) {
    case 'object':
      for (const inst of node.instances.values()) for (const res of inst.resources.values()) resource(node.id, inst.id, res)
      break
    case 'instance':
      for (const res of node.resources.values()) resource(ids[0], node.id, res)
      break
    case 'resource':
    case 'multipleResource':
      resource(ids[0], ids[1], node)
      break
    case 'resourceInstance':
      push(ids[0], ids[1], ids[2], node.id, node.type, node.value)
      break
  }
  return rows
}

/** Aligned columns: path, model name, type, value (time also as ISO date). */
export function formatRows(rows: readonly DecodedRow[]): string {
  const cells = rows.map((r) => [r.path, r.name ?? '?', r.type, showValue(r)])
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((row) => row[c].length)))
  return cells.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell)).join('  ')).join('\n')
}

function showValue(r: DecodedRow): string {
  if (r.type === 'time' && typeof r.value === 'number') {
    const d = new Date(r.value * 1000)
    return Number.isNaN(d.getTime()) ? String(r.value) : `${r.value} (${d.toISOString().replace('.000Z', 'Z')})`
  }
  if (typeof r.value === 'string' && (r.type === 'string' || r.type === 'corelnk')) return JSON.stringify(r.value)
  return String(r.value)
}
