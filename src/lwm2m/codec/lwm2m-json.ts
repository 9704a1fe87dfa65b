import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import { formatPath, type LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { isJsonNumber, isJsonObject, jsonNumber, jsonString, readJson, type JsonValue } from './json-reader.js'
import { encodeBase64 } from './bytes-text.js'
import { payloadText } from './senml-json.js'
import { resolveSenmlRecords, type DecodedEntry, type SenmlRecord } from './senml.js'
import { buildNode } from './senml-build.js'
import { encodeEntries, type EncodeEntry } from './senml-write.js'

const NAME = 'lwm2m-json'

/**
 * Decodes an LwM2M 1.0 JSON payload (`{"bn":"/3/0/","e":[{"n":"0","sv":"…"},…]}`) into entries.
 * Opaque values stay strings here ("sv" holds their base64); typing turns them into bytes.
 */
export function decodeLwm2mJsonEntries(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): DecodedEntry[] {
  const text = payloadText(payload, NAME, limits)
  if (text.trim() === '') return []
  const { value, offsets } = readJson(text, NAME, limits)
  if (!isJsonObject(value)) throw new CodecError(NAME, 'an LwM2M JSON payload must be a JSON object', 0)
  const bad = (reason: string, at = 0): never => {
    throw new CodecError(NAME, reason, at)
  }
  const bn = value.get('bn')
  if (bn !== undefined && typeof bn !== 'string') bad('"bn" must be a string')
  const bt = value.get('bt')
  if (bt !== undefined && !isJsonNumber(bt)) bad('"bt" must be a number')
  const e = value.get('e')
  if (!Array.isArray(e)) return bad('missing the "e" array of resources')
  const records = e.map((item, i) => {
    if (!isJsonObject(item)) return bad('an "e" entry must be a JSON object', offsets.get(e))
    const r = readEntry(item, offsets.get(item))
    if (i === 0) {
      r.bn = (bn as string | undefined) ?? ''
      if (isJsonNumber(bt)) r.bt = Number(bt.value)
    }
    return r
  })
  return resolveSenmlRecords(records, NAME)
}

function readEntry(o: Map<string, JsonValue>, offset: number | undefined): SenmlRecord {
  const bad = (reason: string): never => {
    throw new CodecError(NAME, reason, offset)
  }
  const str = (k: string): string | undefined => {
    const v = o.get(k)
    return v === undefined || typeof v === 'string' ? v : bad(`"${k}" must be a string`)
  }
  const r: SenmlRecord = { offset }
  const n = str('n')
  if (n !== undefined) r.n = n
  const t = o.get('t')
  if (t !== undefined) r.t = isJsonNumber(t) ? Number(t.value) : bad('"t" must be a number')
  const v = o.get('v')
  if (v !== undefined) {
    if (!isJsonNumber(v)) bad('"v" must be a number')
    else {
      r.v = v.value
      r.vFloat = v.float
    }
  }
  const sv = str('sv')
  if (sv !== undefined) r.vs = sv
  const bv = o.get('bv')
  if (bv !== undefined) r.vb = typeof bv === 'boolean' ? bv : bad('"bv" must be a boolean')
  const ov = str('ov')
  if (ov !== undefined) r.vlo = ov
  return r
}

/** Writes entries as an LwM2M JSON payload with one base name. */
export function encodeLwm2mJsonEntries(entries: readonly EncodeEntry[], emptyBase: string): Uint8Array {
  const base = entries[0]?.base ?? emptyBase
  const parts = entries.map((e) => {
    if (e.base !== base) throw new CodecError(NAME, 'entries with different base names')
    const fields: string[] = []
    if (e.name !== '') fields.push(`"n":${jsonString(e.name)}`)
    const raw = e.raw
    switch (raw.kind) {
      case 'number':
        fields.push(`"v":${jsonNumber(raw.value, raw.float, NAME)}`)
        break
      case 'string':
        fields.push(`"sv":${jsonString(raw.value)}`)
        break
      case 'boolean':
        fields.push(`"bv":${raw.value}`)
        break
      case 'opaque':
        fields.push(`"sv":"${encodeBase64(raw.value)}"`)
        break
      case 'objlnk':
        fields.push(`"ov":"${raw.value}"`)
        break
    }
    return `{${fields.join(',')}}`
  })
  return new TextEncoder().encode(`{"bn":${jsonString(base)},"e":[${parts.join(',')}]}`)
}

/** LwM2M JSON (LwM2M 1.0 TS §6.4.4), content format 11543, with the given limits. */
export function createLwm2mJsonCodec(limits: CodecLimits = DEFAULT_LIMITS): NodeCodec {
  return {
    format: ContentFormat.JSON,
    name: NAME,
    decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
      return buildNode(decodeLwm2mJsonEntries(payload, limits), path, models, NAME, { opaqueFromString: true })
    },
    encode(node: LwM2mNode, path: LwM2mPath, _models: ModelRegistry): Uint8Array {
      return encodeLwm2mJsonEntries(encodeEntries(node, path, NAME, false), formatPath(path) + '/')
    },
  }
}

/** LwM2M JSON (LwM2M 1.0 TS §6.4.4), content format 11543. */
export const lwm2mJsonCodec: NodeCodec = createLwm2mJsonCodec()
