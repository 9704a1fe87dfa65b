import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_LIMITS, type CodecLimits } from './limits.js'
import { CborWriter, isCborFloat, readCbor, type CborMap, type CborValue } from './cbor.js'
import {
  buildNode,
  encodeEntries,
  resolveSenmlRecords,
  type DecodedEntry,
  type EncodeEntry,
  type SenmlRecord,
} from './senml.js'

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
  if (payload.length > limits.maxPayloadBytes) {
    throw new CodecError(NAME, `payload of ${payload.length} bytes is larger than ${limits.maxPayloadBytes}`)
  }
  if (payload.length === 0) return []
  const { value, offsets } = readCbor(payload, NAME, limits)
  if (!Array.isArray(value)) throw new CodecError(NAME, 'a SenML pack must be a CBOR array', 0)
  const records = value.map((item) => {
    if (!(item instanceof Map)) throw new CodecError(NAME, 'a SenML record must be a CBOR map', offsets.get(value))
    return readRecord(item, offsets.get(item))
  })
  return resolveSenmlRecords(records, NAME)
}

function readRecord(m: CborMap, offset: number | undefined): SenmlRecord {
  const bad = (reason: string): never => {
    throw new CodecError(NAME, reason, offset)
  }
  const str = (k: number | string, name: string): string | undefined => {
    const v = m.get(k)
    return v === undefined || typeof v === 'string' ? v : bad(`"${name}" must be a text string`)
  }
  const num = (k: number, name: string): number | undefined => {
    const v = m.get(k)
    if (v === undefined) return undefined
    if (typeof v === 'number' || typeof v === 'bigint') return Number(v)
    return isCborFloat(v) ? v.value : bad(`"${name}" must be a number`)
  }
  for (const k of m.keys()) {
    if (typeof k === 'string' && k.endsWith('_')) bad(`unsupported must-understand field "${k}"`)
  }
  const r: SenmlRecord = { offset }
  const bn = str(SenmlLabel.bn, 'bn')
  if (bn !== undefined) r.bn = bn
  const n = str(SenmlLabel.n, 'n')
  if (n !== undefined) r.n = n
  const bt = num(SenmlLabel.bt, 'bt')
  if (bt !== undefined) r.bt = bt
  const bv = num(SenmlLabel.bv, 'bv')
  if (bv !== undefined) r.bv = bv
  const t = num(SenmlLabel.t, 't')
  if (t !== undefined) r.t = t
  const v: CborValue | undefined = m.get(SenmlLabel.v)
  if (v !== undefined) {
    if (typeof v === 'number' || typeof v === 'bigint') {
      r.v = v
      r.vFloat = false
    } else if (isCborFloat(v)) {
      r.v = v.value
      r.vFloat = true
    } else bad('"v" must be a number')
  }
  const vs = str(SenmlLabel.vs, 'vs')
  if (vs !== undefined) r.vs = vs
  const vb = m.get(SenmlLabel.vb)
  if (vb !== undefined) r.vb = typeof vb === 'boolean' ? vb : bad('"vb" must be a boolean')
  const vd = m.get(SenmlLabel.vd)
  if (vd !== undefined) r.vd = vd instanceof Uint8Array ? new Uint8Array(vd) : bad('"vd" must be a byte string')
  const vlo = str(SenmlLabel.vlo, 'vlo')
  if (vlo !== undefined) r.vlo = vlo
  return r
}

/** Writes entries as a SenML CBOR pack (integer labels, "bn" only when the base changes). */
export function encodeSenmlCborEntries(entries: readonly EncodeEntry[]): Uint8Array {
  const w = new CborWriter()
  w.head(4, entries.length)
  let base: string | undefined
  for (const e of entries) {
    const withBase = e.base !== base
    base = e.base
    w.head(5, 1 + (withBase ? 1 : 0) + (e.name !== '' ? 1 : 0))
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
  }
  return w.finish()
}

/** SenML CBOR (RFC 8428 §6, LwM2M 1.1 TS Core §7.4.6), content format 112. */
export const senmlCborCodec: NodeCodec = {
  format: ContentFormat.SENML_CBOR,
  name: NAME,
  decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode {
    return buildNode(decodeSenmlCborEntries(payload), path, models, NAME)
  },
  encode(node: LwM2mNode, path: LwM2mPath, _models: ModelRegistry): Uint8Array {
    return encodeSenmlCborEntries(encodeEntries(node, path, NAME, true))
  },
}
