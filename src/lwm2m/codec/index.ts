import { CodecError } from '../errors.js'
import { ContentFormat, FORMAT_NAMES, type FormatName } from '../content-format.js'
import type { ModelRegistry } from '../model.js'
import type { ObjectNode } from '../node.js'
import type { NodeCodec } from './types.js'
import { tlvCodec } from './tlv.js'
import { textCodec } from './text.js'
import { opaqueCodec } from './opaque.js'
import { senmlJsonCodec, decodeSenmlJsonEntries } from './senml-json.js'
import { senmlCborCodec, decodeSenmlCborEntries } from './senml-cbor.js'
import { lwm2mJsonCodec, decodeLwm2mJsonEntries } from './lwm2m-json.js'
import type { DecodedEntry } from './senml.js'
import { buildObjects, buildTimestampedNodes, type TimestampedNode } from './senml-build.js'
import type { LwM2mPath } from '../path.js'

/**
 * The codec registry: one NodeCodec per content format, and which formats each LwM2M version
 * speaks (1.0: TLV, JSON 11543, text, opaque; 1.1 and 1.2 add SenML JSON and SenML CBOR).
 * The CoRE link format (40) is not a node format: see src/lwm2m/link.ts.
 */

export type LwM2mVersion = '1.0' | '1.1' | '1.2'

const CODECS: ReadonlyMap<number, NodeCodec> = new Map(
  [tlvCodec, textCodec, opaqueCodec, senmlJsonCodec, senmlCborCodec, lwm2mJsonCodec].map((c) => [c.format, c]),
)

const V1_0 = [ContentFormat.TLV, ContentFormat.JSON, ContentFormat.TEXT, ContentFormat.OPAQUE]
const V1_1 = [...V1_0, ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR]

/** Formats a server prefers for reads and writes, best first, per version. */
const PREFERENCE: Record<LwM2mVersion, readonly number[]> = {
  '1.0': [ContentFormat.TLV, ContentFormat.JSON],
  '1.1': [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON, ContentFormat.TLV, ContentFormat.JSON],
  '1.2': [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON, ContentFormat.TLV, ContentFormat.JSON],
}

/** The codec of a content format number; CodecError when there is none. */
export function codecFor(format: number): NodeCodec {
  const codec = CODECS.get(format)
  if (!codec) throw new CodecError(`content format ${format}`, 'no node codec for this content format')
  return codec
}

/** The codec of a command-line format name (`tlv`, `senml-json`, …); `link` has no node codec. */
export function codecByName(name: FormatName): NodeCodec {
  return codecFor(FORMAT_NAMES[name])
}

/** Whether a format carries full resource names, so it can be read without a request path. */
export function carriesNames(format: number): boolean {
  return ENTRY_DECODERS.has(format)
}

/** Node content formats a peer of this LwM2M version speaks. */
export function supportedFormats(version: LwM2mVersion): number[] {
  return version === '1.0' ? [...V1_0] : [...V1_1]
}

/** Whether a peer of this LwM2M version speaks `format`. */
export function isFormatSupported(version: LwM2mVersion, format: number): boolean {
  return supportedFormats(version).includes(format)
}

/**
 * The format to ask a client for: the best of this version's preferences that the client lists
 * (registration `ct`, when known), else the version's default (TLV for 1.0, SenML CBOR after).
 */
export function preferredFormat(version: LwM2mVersion, clientFormats?: readonly number[]): number {
  const prefs = PREFERENCE[version]
  if (clientFormats && clientFormats.length > 0) {
    const match = prefs.find((f) => clientFormats.includes(f))
    if (match !== undefined) return match
  }
  return prefs[0]
}

/**
 * The content formats of a `ct` link attribute (registration root link `</>;ct=110` or
 * `ct="60 110 112 11542 11543"`, bootstrap `pct=110`); anything not a format number is skipped.
 */
export function contentFormatsOf(ct: string | number | boolean | undefined): number[] {
  if (typeof ct === 'number') return Number.isInteger(ct) && ct >= 0 && ct <= 65535 ? [ct] : []
  if (typeof ct !== 'string') return []
  return ct
    .trim()
    .split(/\s+/)
    .filter((t) => /^\d{1,5}$/.test(t) && Number(t) <= 65535)
    .map(Number)
}

/** Parses `1.0`, `1.1`, `1.2` (as a registration's `lwm2m=` gives it); undefined otherwise. */
export function parseLwm2mVersion(text: string | undefined): LwM2mVersion | undefined {
  return text === '1.0' || text === '1.1' || text === '1.2' ? text : undefined
}

const ENTRY_DECODERS: ReadonlyMap<number, (payload: Uint8Array) => DecodedEntry[]> = new Map([
  [ContentFormat.SENML_JSON, (p: Uint8Array) => decodeSenmlJsonEntries(p)],
  [ContentFormat.SENML_CBOR, (p: Uint8Array) => decodeSenmlCborEntries(p)],
  [ContentFormat.JSON, (p: Uint8Array) => decodeLwm2mJsonEntries(p)],
])

/**
 * Decodes a payload of a name-carrying format (SenML JSON/CBOR, LwM2M JSON) without a request
 * path: one object node per object its records name.
 */
export function decodeObjects(format: number, payload: Uint8Array, models: ModelRegistry): ObjectNode[] {
  const decode = ENTRY_DECODERS.get(format)
  if (!decode) throw new CodecError(codecFor(format).name, 'this format needs a request path to decode')
  const name = codecFor(format).name
  return buildObjects(decode(payload), models, name, { opaqueFromString: format === ContentFormat.JSON })
}

/**
 * Decodes a payload that may carry values of several times (SenML or LwM2M JSON notifications
 * with history) into one node per time, newest first. Other formats give one node without time.
 */
export function decodeTimestamped(format: number, payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): TimestampedNode[] {
  const decode = ENTRY_DECODERS.get(format)
  if (!decode) return [{ node: codecFor(format).decode(payload, path, models) }]
  const name = codecFor(format).name
  return buildTimestampedNodes(decode(payload), path, models, name, { opaqueFromString: format === ContentFormat.JSON })
}

export type { NodeCodec } from './types.js'
export type { TimestampedNode } from './senml-build.js'
export { flattenNode, unflatten, type FlatValue } from './flatten.js'
