import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { ModelRegistry } from '../model.js'
import { formatPath } from '../path.js'
import { flatValue, type FlatValue } from './flatten.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { decodeSenmlCborEntries } from './senml-cbor.js'
import { decodeSenmlJsonEntries } from './senml-json.js'
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
