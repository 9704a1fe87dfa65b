import { bytesToHex, encodeAbiParameters, keccak256, toBytes, type Hex } from 'viem'
import { InvalidInputError, validateText } from '../chain/records/validate.js'
import { keccak } from './keccak.js'

/**
 * One anomaly as the ledger keeps it and as a batch anchors it. `data` travels as canonical JSON
 * (sorted keys, no spaces), so that the same value always hashes to the same leaf.
 */
export interface AnomalyRecord {
  /** Stable id assigned when the record is accepted (a ULID). */
  id: string
  endpoint: string
  /** Severity 1-255. */
  level: number
  /** Any JSON value. */
  data: unknown
  /** Time of data collection, seconds since the epoch. */
  collectedAt: number
}

/** What a caller gives to accept(): the record without its id, time as ISO 8601 or seconds. */
export interface AnomalyInput {
  endpoint: unknown
  level: unknown
  data: unknown
  /** ISO 8601 or seconds since the epoch; default now. */
  timestamp?: unknown
}

/** ABI types of a leaf (OpenZeppelin StandardMerkleTree leaf encoding). */
export const LEAF_TYPES = ['string', 'string', 'uint8', 'uint64', 'bytes32'] as const
/** Leaf values in LEAF_TYPES order: id, endpoint, level, collectedAt, keccak256(canonical data). */
export type LeafValues = [string, string, number, bigint, Hex]

/** Largest canonical data we accept, in UTF-8 bytes (it travels in calldata and event data). */
export const MAX_DATA_BYTES = 8_192
const ID_RE = /^[0-9A-Za-z._:-]{1,64}$/

/** Serialises a JSON value with object keys sorted at every depth, without spaces. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new InvalidInputError('data must not contain NaN or Infinity')
    const s = JSON.stringify(value)
    if (s === undefined) throw new InvalidInputError('data is not a JSON value')
    return s
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`
}

/** keccak256 of the record's canonical data (the leaf's dataHash). */
export function dataHashOf(data: unknown): Hex {
  return keccak256(toBytes(canonicalJson(data)))
}

/** The record's leaf values, in LEAF_TYPES order. */
export function leafValuesOf(r: AnomalyRecord): LeafValues {
  return [r.id, r.endpoint, r.level, BigInt(r.collectedAt), dataHashOf(r.data)]
}

/** The record's leaf hash: keccak256(bytes.concat(keccak256(abi.encode(values)))). */
export function leafHashOf(r: AnomalyRecord): Hex {
  return bytesToHex(leafBytesOf(r))
}

/**
 * The leaf hash as bytes. abi.encode of the five values is written by hand: it is on the hot path
 * of every batch (viem's generic encoder is ten times slower); a test checks it against viem's.
 */
export function leafBytesOf(r: AnomalyRecord): Uint8Array {
  const id = Buffer.from(r.id, 'utf8')
  const ep = Buffer.from(r.endpoint, 'utf8')
  const idWords = Math.ceil(id.length / 32)
  const epWords = Math.ceil(ep.length / 32)
  const buf = Buffer.alloc(32 * (5 + 1 + idWords + 1 + epWords))
  const idAt = 5 * 32
  const epAt = idAt + 32 * (1 + idWords)
  buf.writeUInt32BE(idAt, 28)
  buf.writeUInt32BE(epAt, 32 + 28)
  buf[2 * 32 + 31] = r.level
  buf.writeBigUInt64BE(BigInt(r.collectedAt), 3 * 32 + 24)
  buf.set(keccak(Buffer.from(canonicalJson(r.data), 'utf8')), 4 * 32)
  buf.writeUInt32BE(id.length, idAt + 28)
  id.copy(buf, idAt + 32)
  buf.writeUInt32BE(ep.length, epAt + 28)
  ep.copy(buf, epAt + 32)
  return keccak(keccak(buf))
}

/** The same leaf hash through viem's generic ABI encoder (reference for tests). */
export function leafHashOfSlow(r: AnomalyRecord): Hex {
  const encoded = encodeAbiParameters(
    LEAF_TYPES.map((type) => ({ type })),
    leafValuesOf(r),
  )
  return keccak256(keccak256(encoded))
}

/** Parses a time given as ISO 8601 text or seconds since the epoch into whole seconds. */
export function parseTimestamp(value: unknown, field = 'timestamp'): number {
  // Query strings carry seconds as text.
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) value = Number(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value >= 2 ** 53) throw new InvalidInputError(`${field} must be seconds since 1970`)
    return Math.floor(value)
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new InvalidInputError(`${field} is not an ISO 8601 time: ${JSON.stringify(value)}`)
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidInputError(`${field} is not an ISO 8601 time: ${JSON.stringify(value)}`)
  if (ms < 0) throw new InvalidInputError(`${field} is before 1970`)
  return Math.floor(ms / 1000)
}

/** Validates input and returns the record fields (without id); throws InvalidInputError. */
export function parseAnomalyInput(input: AnomalyInput, now: () => number = Date.now): Omit<AnomalyRecord, 'id'> {
  if (input === null || typeof input !== 'object') throw new InvalidInputError('an anomaly must be an object')
  const endpoint = validateText(input.endpoint, 'endpoint name')
  const level = typeof input.level === 'string' && /^\d+$/.test(input.level) ? Number(input.level) : input.level
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 1 || level > 255) {
    throw new InvalidInputError(`level must be an integer 1-255, not ${JSON.stringify(input.level)}`)
  }
  if (input.data === undefined) throw new InvalidInputError('data is required')
  const json = canonicalJson(input.data)
  if (Buffer.byteLength(json, 'utf8') > MAX_DATA_BYTES) throw new InvalidInputError(`data is larger than ${MAX_DATA_BYTES} bytes`)
  const collectedAt = input.timestamp === undefined ? Math.floor(now() / 1000) : parseTimestamp(input.timestamp)
  return { endpoint, level, data: JSON.parse(json) as unknown, collectedAt }
}

/** Checks a record read back from a file, a log or a user (id included); throws InvalidInputError. */
export function parseAnomalyRecord(value: unknown): AnomalyRecord {
  if (value === null || typeof value !== 'object') throw new InvalidInputError('a record must be an object')
  const v = value as Record<string, unknown>
  const id = validateAnomalyId(v.id)
  // A printed item carries the time twice (ISO and seconds): an edit to either must show.
  if (v.collectedAt !== undefined && v.timestamp !== undefined && parseTimestamp(v.collectedAt, 'collectedAt') !== parseTimestamp(v.timestamp)) {
    throw new InvalidInputError('timestamp and collectedAt disagree')
  }
  const time = v.collectedAt ?? v.timestamp
  if (time === undefined) throw new InvalidInputError('a record needs its timestamp')
  const rest = parseAnomalyInput({ endpoint: v.endpoint, level: v.level, data: v.data, timestamp: time })
  return { id, ...rest }
}

/** Checks an anomaly id's form (what we assign: a ULID; other posters may use up to 64 safe characters). */
export function validateAnomalyId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new InvalidInputError(`anomaly id must be 1-64 letters, digits or ._:-, not ${JSON.stringify(id)}`)
  return id
}

/** The record as printed / served: time as ISO 8601. */
export function toIsoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}
