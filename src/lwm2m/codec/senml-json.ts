import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { isJsonNumber, isJsonObject, jsonNumber, jsonString, readJson, type JsonNumber, type JsonValue } from './json-reader.js'
import { decodeBase64, encodeOpaqueText, type OpaqueAlphabet } from './bytes-text.js'
import { resolveSenmlRecords, type DecodedEntry, type RawValue, type SenmlRecord } from './senml.js'
import { buildNode } from './senml-build.js'
import { encodeEntries, type EncodeEntry } from './senml-write.js'

const NAME = 'senml-json'
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Decodes a SenML JSON payload into entries named by full resource paths (no object model needed). */
export function decodeSenmlJsonEntries(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): DecodedEntry[] {
  return resolveSenmlRecords(readSenmlJsonRecords(payload, limits), NAME)
}

/** Reads the records of a SenML JSON pack as they are written (names not yet resolved). */
export function readSenmlJsonRecords(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): SenmlRecord[] {
  const text = payloadText(payload, NAME, limits)
  if (text.trim() === '') return []
  const { value, offsets } = readJson(text, NAME, limits)
  if (!Array.isArray(value)) throw new CodecError(NAME, 'a SenML pack must be a JSON array', 0)
  return value.map((item) => {
    if (!isJsonObject(item)) throw new CodecError(NAME, 'a SenML record must be a JSON object', offsets.get(value))
    return readRecord(item, offsets.get(item))
  })
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
  const r: SenmlRecord = { offset }
  for (const [k, v] of o) {
    switch (k) {
      case 'bn':
      case 'n':
      case 'vs':
      case 'vlo':
        r[k] = text(v, k, offset)
        break
      case 'bt':
      case 'bv':
      case 't':
        if (!isJsonNumber(v)) fail(`"${k}" must be a number`, offset)
        r[k] = Number((v as JsonNumber).value)
        break
      case 'v':
        if (!isJsonNumber(v)) fail('"v" must be a number', offset)
        r.v = (v as JsonNumber).value
        r.vFloat = (v as JsonNumber).float
        break
      case 'vb':
        if (typeof v !== 'boolean') fail('"vb" must be a boolean', offset)
        r.vb = v as boolean
        break
      case 'vd':
        r.vd = decodeBase64(text(v, k, offset), NAME, offset)
        break
      default:
        if (k.endsWith('_')) fail(`unsupported must-understand field "${k}"`, offset)
    }
  }
  return r
}

function fail(reason: string, offset: number | undefined): never {
  throw new CodecError(NAME, reason, offset)
}

function text(v: JsonValue, name: string, offset: number | undefined): string {
  return typeof v === 'string' ? v : fail(`"${name}" must be a string`, offset)
}

/**
 * Writes entries as a SenML JSON pack, repeating "bn" only when the base changes. Opaque values
 * are unpadded base64url (RFC 8428 §4.3) unless `alphabet` asks for the standard alphabet.
 */
export function encodeSenmlJsonEntries(entries: readonly EncodeEntry[], alphabet: OpaqueAlphabet = 'base64url'): Uint8Array {
  let base: string | undefined
  const parts = entries.map((e) => {
    const fields: string[] = []
    if (e.base !== base) {
      fields.push(`"bn":${jsonString(e.base)}`)
      base = e.base
    }
    if (e.name !== '') fields.push(`"n":${jsonString(e.name)}`)
    fields.push(senmlValueField(e.raw, alphabet))
    if (e.time !== undefined) fields.push(`"t":${jsonNumber(e.time, !Number.isInteger(e.time), NAME)}`)
    return `{${fields.join(',')}}`
  })
  return new TextEncoder().encode(`[${parts.join(',')}]`)
}

function senmlValueField(raw: RawValue, alphabet: OpaqueAlphabet): string {
  switch (raw.kind) {
    case 'number':
      return `"v":${jsonNumber(raw.value, raw.float, NAME)}`
    case 'string':
      return `"vs":${jsonString(raw.value)}`
    case 'boolean':
      return `"vb":${raw.value}`
    case 'opaque':
      return `"vd":"${encodeOpaqueText(raw.value, alphabet)}"`
    case 'objlnk':
      return `"vlo":"${raw.value}"`
  }
}

/** Encodes a node as SenML JSON with opaque values in the given alphabet (see OpaqueAlphabet). */
export function encodeSenmlJson(node: LwM2mNode, path: LwM2mPath, alphabet: OpaqueAlphabet): Uint8Array {
  return encodeSenmlJsonEntries(encodeEntries(node, path, NAME, true), alphabet)
}

/** SenML JSON (RFC 8428, LwM2M 1.1 TS Core §7.4.5), content format 110, with the given limits. */
export function createSenmlJsonCodec(limits: CodecLimits = DEFAULT_LIMITS): NodeCodec {
  return {
    format: ContentFormat.SENML_JSON,
    name: NAME,
    decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
      return buildNode(decodeSenmlJsonEntries(payload, limits), path, models, NAME)
    },
    encode(node: LwM2mNode, path: LwM2mPath, _models: ModelRegistry): Uint8Array {
      return encodeSenmlJsonEntries(encodeEntries(node, path, NAME, true))
    },
  }
}

/** SenML JSON (RFC 8428, LwM2M 1.1 TS Core §7.4.5), content format 110. */
export const senmlJsonCodec: NodeCodec = createSenmlJsonCodec()
