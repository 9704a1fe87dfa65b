import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { CborWriter, isCborFloat, readCbor, type CborMap, type CborValue } from './cbor.js'
import { resolveSenmlRecords, type DecodedEntry, type SenmlRecord } from './senml.js'
import { buildNode } from './senml-build.js'
import { encodeEntries, type EncodeEntry } from './senml-write.js'

const NAME = 'senml-cbor'

/** SenML CBOR labels (RFC 8428 §6), plus LwM2M's text label for object links. */
export const SenmlLabel = {
  bver: -1,
  bn: -2,
  bt: -3,
  bu: -4,
  bv: -5,
  bs: -6,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  s: 5,
  t: 6,
  ut: 7,
  vd: 8,
  vlo: 'vlo',
} as const

/** Decodes a SenML CBOR payload into entries named by full resource paths. */
export function decodeSenmlCborEntries(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): DecodedEntry[] {
  return resolveSenmlRecords(readSenmlCborRecords(payload, limits), NAME)
}

/** Reads the records of a SenML CBOR pack as they are written (names not yet resolved). */
export function readSenmlCborRecords(payload: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): SenmlRecord[] {
  if (payload.length > limits.maxPayloadBytes) {
    throw new CodecError(NAME, `payload of ${payload.length} bytes is larger than ${limits.maxPayloadBytes}`)
  }
  if (payload.length === 0) return []
  const { value, offsets } = readCbor(payload, NAME, limits)
  if (!Array.isArray(value)) throw new CodecError(NAME, 'a SenML pack must be a CBOR array', 0)
  return value.map((item) => {
    if (!(item instanceof Map)) throw new CodecError(NAME, 'a SenML record must be a CBOR map', offsets.get(value))
    return readRecord(item, offsets.get(item))
  })
}

function readRecord(m: CborMap, offset: number | undefined): SenmlRecord {
  const r: SenmlRecord = { offset }
  for (const [k, v] of m) {
    switch (k) {
      case SenmlLabel.bn:
        r.bn = text(v, 'bn', offset)
        break
      case SenmlLabel.n:
        r.n = text(v, 'n', offset)
        break
      case SenmlLabel.bt:
        r.bt = num(v, 'bt', offset)
        break
      case SenmlLabel.bv:
        r.bv = num(v, 'bv', offset)
        break
      case SenmlLabel.t:
        r.t = num(v, 't', offset)
        break
      case SenmlLabel.v:
        if (typeof v === 'number' || typeof v === 'bigint') {
          r.v = v
          r.vFloat = false
        } else if (isCborFloat(v)) {
          r.v = v.value
          r.vFloat = true
        } else fail('"v" must be a number', offset)
        break
      case SenmlLabel.vs:
        r.vs = text(v, 'vs', offset)
        break
      case SenmlLabel.vb:
        if (typeof v !== 'boolean') fail('"vb" must be a boolean', offset)
        r.vb = v as boolean
        break
      case SenmlLabel.vd:
        if (!(v instanceof Uint8Array)) fail('"vd" must be a byte string', offset)
        r.vd = new Uint8Array(v as Uint8Array)
        break
      case SenmlLabel.vlo:
        r.vlo = text(v, 'vlo', offset)
        break
      default:
        if (typeof k === 'string' && k.endsWith('_')) fail(`unsupported must-understand field "${k}"`, offset)
    }
  }
  return r
}

function fail(reason: string, offset: number | undefined): never {
  throw new CodecError(NAME, reason, offset)
}

function text(v: CborValue, name: string, offset: number | undefined): string {
  return typeof v === 'string' ? v : fail(`"${name}" must be a text string`, offset)
}

function num(v: CborValue, name: string, offset: number | undefined): number {
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v)
  return isCborFloat(v) ? v.value : fail(`"${name}" must be a number`, offset)
}

/** Writes entries as a SenML CBOR pack (integer labels, "bn" only when the base changes). */
export function encodeSenmlCborEntries(entries: readonly EncodeEntry[]): Uint8Array {
  const w = new CborWriter()
  w.head(4, entries.length)
  let base: string | undefined
  for (const e of entries) {
    const withBase = e.base !== base
    base = e.base
    w.head(5, 1 + (withBase ? 1 : 0) + (e.name !== '' ? 1 : 0) + (e.time !== undefined ? 1 : 0))
    if (withBase) w.int(SenmlLabel.bn).text(e.base)
    if (e.name !== '') w.int(SenmlLabel.n).text(e.name)
    const raw = e.raw
    switch (raw.kind) {
      case 'number':
        w.int(SenmlLabel.v)
        if (raw.float) w.float(Number(raw.value))
        else w.int(raw.value)
        break
      case 'string':
        w.int(SenmlLabel.vs).text(raw.value)
        break
      case 'boolean':
        w.int(SenmlLabel.vb).bool(raw.value)
        break
      case 'opaque':
        w.int(SenmlLabel.vd).bytes(raw.value)
        break
      case 'objlnk':
        w.text(SenmlLabel.vlo).text(raw.value)
        break
    }
    if (e.time !== undefined) {
      w.int(SenmlLabel.t)
      if (Number.isInteger(e.time)) w.int(e.time)
      else w.float(e.time)
    }
  }
  return w.finish()
}

/** SenML CBOR (RFC 8428 §6, LwM2M 1.1 TS Core §7.4.6), content format 112, with the given limits. */
export function createSenmlCborCodec(limits: CodecLimits = DEFAULT_LIMITS): NodeCodec {
  return {
    format: ContentFormat.SENML_CBOR,
    name: NAME,
    decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
      return buildNode(decodeSenmlCborEntries(payload, limits), path, models, NAME)
    },
    encode(node: LwM2mNode, path: LwM2mPath, _models: ModelRegistry): Uint8Array {
      return encodeSenmlCborEntries(encodeEntries(node, path, NAME, true))
    },
  }
}

/** SenML CBOR (RFC 8428 §6, LwM2M 1.1 TS Core §7.4.6), content format 112. */
export const senmlCborCodec: NodeCodec = createSenmlCborCodec()
