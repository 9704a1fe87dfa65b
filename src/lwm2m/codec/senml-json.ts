import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { isJsonNumber, isJsonObject, jsonNumber, jsonString, readJson, type JsonValue } from './json-reader.js'
import { decodeBase64, encodeBase64Url } from './bytes-text.js'
import {
  buildNode,
  encodeEntries,
  resolveSenmlRecords,
  type DecodedEntry,
  type EncodeEntry,
  type RawValue,
  type SenmlRecord,
} from './senml.js'

const NAME = 'senml-json'
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Decodes a SenML JSON payload into entries named by full resource paths (no object model needed). */
export function decodeSenmlJsonEntries(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): DecodedEntry[] {
  const text = payloadText(payload, NAME, limits)
  if (text.trim() === '') return []
  const { value, offsets } = readJson(text, NAME, limits)
  if (!Array.isArray(value)) throw new CodecError(NAME, 'a SenML pack must be a JSON array', 0)
  const records = value.map((item) => {
    if (!isJsonObject(item)) throw new CodecError(NAME, 'a SenML record must be a JSON object', offsets.get(value))
    return readRecord(item, offsets.get(item))
  })
  return resolveSenmlRecords(records, NAME)
}

/** Checks size and UTF-8 of a JSON payload and returns its text. */
export function payloadText(payload: Uint8Array, format: string, limits: CodecLimits): string {
  if (payload.length > limits.maxPayloadBytes) {
    throw new CodecError(format, `payload of ${payload.length} bytes is larger than ${limits.maxPayloadBytes}`)
  }
  try {
    return UTF8.decode(payload)
  } catch {
    throw new CodecError(format, 'payload is not valid UTF-8')
  }
}

function readRecord(o: Map<string, JsonValue>, offset: number | undefined): SenmlRecord {
  const bad = (reason: string): never => {
    throw new CodecError(NAME, reason, offset)
  }
  const str = (k: string): string | undefined => {
    const v = o.get(k)
    return v === undefined || typeof v === 'string' ? v : bad(`"${k}" must be a string`)
  }
  const num = (k: string): number | undefined => {
    const v = o.get(k)
    return v === undefined ? undefined : isJsonNumber(v) ? Number(v.value) : bad(`"${k}" must be a number`)
  }
  for (const k of o.keys()) if (k.endsWith('_')) bad(`unsupported must-understand field "${k}"`)
  const r: SenmlRecord = { offset }
  const bn = str('bn')
  if (bn !== undefined) r.bn = bn
  const n = str('n')
  if (n !== undefined) r.n = n
  const bt = num('bt')
  if (bt !== undefined) r.bt = bt
  const bv = num('bv')
  if (bv !== undefined) r.bv = bv
  const t = num('t')
  if (t !== undefined) r.t = t
  const v = o.get('v')
  if (v !== undefined) {
    if (!isJsonNumber(v)) bad('"v" must be a number')
    else {
      r.v = v.value
      r.vFloat = v.float
    }
  }
  const vs = str('vs')
  if (vs !== undefined) r.vs = vs
  const vb = o.get('vb')
  if (vb !== undefined) r.vb = typeof vb === 'boolean' ? vb : bad('"vb" must be a boolean')
  const vd = str('vd')
  if (vd !== undefined) r.vd = decodeBase64(vd, NAME, offset)
  const vlo = str('vlo')
  if (vlo !== undefined) r.vlo = vlo
  return r
}

/** Writes entries as a SenML JSON pack, repeating "bn" only when the base changes. */
export function encodeSenmlJsonEntries(entries: readonly EncodeEntry[]): Uint8Array {
  let base: string | undefined
  const parts = entries.map((e) => {
    const fields: string[] = []
    if (e.base !== base) {
      fields.push(`"bn":${jsonString(e.base)}`)
      base = e.base
    }
    if (e.name !== '') fields.push(`"n":${jsonString(e.name)}`)
    fields.push(senmlValueField(e.raw))
    return `{${fields.join(',')}}`
  })
  return new TextEncoder().encode(`[${parts.join(',')}]`)
}

function senmlValueField(raw: RawValue): string {
  switch (raw.kind) {
    case 'number':
      return `"v":${jsonNumber(raw.value, raw.float, NAME)}`
    case 'string':
      return `"vs":${jsonString(raw.value)}`
    case 'boolean':
      return `"vb":${raw.value}`
    case 'opaque':
      return `"vd":"${encodeBase64Url(raw.value)}"`
    case 'objlnk':
      return `"vlo":"${raw.value}"`
  }
}

/** SenML JSON (RFC 8428, LwM2M 1.1 TS Core §7.4.5), content format 110. */
export const senmlJsonCodec: NodeCodec = {
  format: ContentFormat.SENML_JSON,
  name: NAME,
  decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
    return buildNode(decodeSenmlJsonEntries(payload), path, models, NAME)
  },
  encode(node: LwM2mNode, path: LwM2mPath, _models: ModelRegistry): Uint8Array {
    return encodeSenmlJsonEntries(encodeEntries(node, path, NAME, true))
  },
}
