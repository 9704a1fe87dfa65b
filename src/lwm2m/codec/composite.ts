import { CodecError, InvalidPathError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import { formatPath, isPathWithin, parsePath, pathLevel, type LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import { CborWriter } from './cbor.js'
import { jsonString } from './json-reader.js'
import { decodeSenmlJsonEntries, encodeSenmlJsonEntries, readSenmlJsonRecords } from './senml-json.js'
import { SenmlLabel, decodeSenmlCborEntries, encodeSenmlCborEntries, readSenmlCborRecords } from './senml-cbor.js'
import { type DecodedEntry, type SenmlRecord } from './senml.js'
import { buildNode } from './senml-build.js'
import { encodeEntries } from './senml-write.js'

/**
 * Payloads of the LwM2M 1.1 composite operations (TS Core §6.3.4 Read-Composite, §6.3.5
 * Write-Composite, §6.3.9 Observe-Composite, §6.4.5 Send), which only the SenML formats carry:
 * a list of paths (the request of Read/Observe-Composite) or nodes each at its own path.
 */

/** A node and the path it sits at. */
export type PathNode = readonly [LwM2mPath, LwM2mNode]

function senmlName(format: number): string {
  if (format === ContentFormat.SENML_JSON) return 'senml-json'
  if (format === ContentFormat.SENML_CBOR) return 'senml-cbor'
  throw new CodecError(`content format ${format}`, 'composite operations need SenML JSON or SenML CBOR')
}

/** The request payload of Read-Composite / Observe-Composite: one record with only a name per path. */
export function encodeCompositePaths(format: number, paths: readonly LwM2mPath[]): Uint8Array {
  senmlName(format)
  if (format === ContentFormat.SENML_JSON) {
    return new TextEncoder().encode(`[${paths.map((p) => `{"n":${jsonString(formatPath(p))}}`).join(',')}]`)
  }
  const w = new CborWriter().head(4, paths.length)
  for (const p of paths) w.head(5, 1).int(SenmlLabel.n).text(formatPath(p))
  return w.finish()
}

/** Reads the paths of a Read-Composite / Observe-Composite request; a record with a value is an error. */
export function decodeCompositePaths(format: number, payload: Uint8Array): LwM2mPath[] {
  const name = senmlName(format)
  const records = format === ContentFormat.SENML_JSON ? readSenmlJsonRecords(payload) : readSenmlCborRecords(payload)
  let bn = ''
  return records.map((r: SenmlRecord) => {
    if (r.bn !== undefined) bn = r.bn
    if ([r.v, r.vs, r.vb, r.vd, r.vlo, r.t, r.bt].some((x) => x !== undefined)) {
      throw new CodecError(name, 'a path record carries a value or a time', r.offset)
    }
    const full = bn + (r.n ?? '')
    try {
      const path = parsePath(full)
      if (pathLevel(path) === 'root' && full.trim() !== '/') throw new InvalidPathError(full, 'empty')
      return path
    } catch (err) {
      if (err instanceof InvalidPathError) throw new CodecError(name, `record name "${full}" is not an LwM2M path`, r.offset)
      throw err
    }
  })
}

/** The payload of a Read-Composite response, a Write-Composite request or a Send: each node at its path. */
export function encodeCompositeNodes(format: number, nodes: readonly PathNode[]): Uint8Array {
  const name = senmlName(format)
  const entries = nodes.flatMap(([path, node]) => encodeEntries(node, path, name, true))
  return format === ContentFormat.SENML_JSON ? encodeSenmlJsonEntries(entries) : encodeSenmlCborEntries(entries)
}

/**
 * Reads a composite payload. With `paths` (the Read-Composite request), each record goes to the
 * first path that holds it and each path with records gives one node; a record under none of them
 * is an error. Without `paths` (Write-Composite, Send), each record is a node at its own path.
 */
export function decodeCompositeNodes(
  format: number,
  payload: Uint8Array,
  paths: readonly LwM2mPath[] | undefined,
  models: ModelRegistry,
): PathNode[] {
  const name = senmlName(format)
  const entries = format === ContentFormat.SENML_JSON ? decodeSenmlJsonEntries(payload) : decodeSenmlCborEntries(payload)
  if (paths === undefined) return entries.map((e) => [e.path, buildNode([e], e.path, models, name)] as const)
  const groups = paths.map((): DecodedEntry[] => [])
  for (const e of entries) {
    const i = paths.findIndex((p) => isPathWithin(e.path, p))
    if (i < 0) throw new CodecError(name, `record ${formatPath(e.path)} is under none of the requested paths`, e.offset)
    groups[i].push(e)
  }
  return paths.flatMap((p, i) => (groups[i].length === 0 ? [] : [[p, buildNode(groups[i], p, models, name)] as const]))
}

/**
 * The SenML times of a composite payload (an Observe-Composite notification): for each resource
 * path whose record carried one (bt + t, in seconds), the newest. Records without a time are left
 * out, so an untimed payload gives {}.
 */
export function decodeCompositeTimes(format: number, payload: Uint8Array): Record<string, number> {
  senmlName(format)
  const entries = format === ContentFormat.SENML_JSON ? decodeSenmlJsonEntries(payload) : decodeSenmlCborEntries(payload)
  const times: Record<string, number> = {}
  for (const e of entries) {
    if (e.time === undefined) continue
    const key = formatPath(e.path)
    if (times[key] === undefined || e.time > times[key]) times[key] = e.time
  }
  return times
}
