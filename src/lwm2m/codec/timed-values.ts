import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { ModelRegistry } from '../model.js'
import type { LwM2mNode } from '../node.js'
import { formatPath, type LwM2mPath } from '../path.js'
import { flatValue, type FlatValue } from './flatten.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { decodeSenmlCborEntries, encodeSenmlCborEntries } from './senml-cbor.js'
import { decodeSenmlJsonEntries, encodeSenmlJsonEntries } from './senml-json.js'
import { encodeEntries, type EncodeEntry } from './senml-write.js'
import { inferType, typedValue } from './senml-build.js'

/**
 * A payload of values each named by its full path and, when it carries one, a time: what a Send
 * (`POST /dp`) or a timestamped notification holds. Values are in the flat JSON form reads use.
 */
export interface TimedValue {
  /** Full resource (instance) path, e.g. "/3/0/13". */
  readonly path: string
  readonly value: FlatValue
  /** Seconds since the epoch (SenML `bt` + `t`, relative times resolved against `now`). */
  readonly time?: number
}

/** RFC 8428 §4.5.3: times below 2**28 are relative to now. */
const RELATIVE_TIME_LIMIT = 2 ** 28

/**
 * Decodes a SenML JSON or CBOR pack into timed values, typed by the object model (resources it
 * does not know keep the type their wire value gives). Any other format is a CodecError.
 */
export function decodeTimedValues(
  format: number,
  payload: Uint8Array,
  models: ModelRegistry,
  now: number = Date.now(),
  limits: CodecLimits = DEFAULT_LIMITS,
): TimedValue[] {
  const name = format === ContentFormat.SENML_JSON ? 'senml-json' : format === ContentFormat.SENML_CBOR ? 'senml-cbor' : undefined
  if (name === undefined) throw new CodecError(`content format ${format}`, 'values with names and times come in SenML JSON or CBOR')
  const entries = format === ContentFormat.SENML_JSON ? decodeSenmlJsonEntries(payload, limits) : decodeSenmlCborEntries(payload, limits)
  return entries.map((e) => {
    const model = models.getResource(e.path.objectId as number, e.path.resourceId as number)
    const type = model?.type ?? inferType(e.raw)
    const value = flatValue(typedValue(e.raw, type, name, e.offset, {}, e.path))
    const path = formatPath(e.path)
    if (e.time === undefined) return { path, value }
    const time = Math.abs(e.time) < RELATIVE_TIME_LIMIT ? now / 1000 + e.time : e.time
    return { path, value, time }
  })
}

/** One value to report with a time: a node at its path (as a read gives it) and when it was taken. */
export interface TimedNode {
  readonly path: LwM2mPath
  readonly node: LwM2mNode
  /** Epoch seconds; absent = now (no "t"). */
  readonly time?: number
}

/**
 * Encodes nodes with their times as one SenML JSON or CBOR pack (a Send payload, or a timestamped
 * notification): every record of a node carries the node's absolute time as "t".
 */
export function encodeTimedNodes(format: number, nodes: readonly TimedNode[]): Uint8Array {
  const name = format === ContentFormat.SENML_JSON ? 'senml-json' : format === ContentFormat.SENML_CBOR ? 'senml-cbor' : undefined
  if (name === undefined) throw new CodecError(`content format ${format}`, 'timed values are written in SenML JSON or CBOR')
  const entries: EncodeEntry[] = nodes.flatMap(({ path, node, time }) =>
    encodeEntries(node, path, name, true).map((e) => (time === undefined ? e : { ...e, time })),
  )
  return format === ContentFormat.SENML_JSON ? encodeSenmlJsonEntries(entries) : encodeSenmlCborEntries(entries)
}
