import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { bytesToHex, bytesToString, decodeAbiParameters, encodeAbiParameters, hexToBytes, stringToHex, type Hex } from 'viem'
import { anomalyRecordParameter } from '../chain/records/abiStructs.js'
import { keccak } from './keccak.js'
import { LEAF_TYPES, canonicalJson, leafBytesOf, leafValuesOf, type AnomalyRecord } from './record.js'

/**
 * ABI of the `records` bytes a BatchAnchored event carries: an array of the contract's
 * AnomalyRecord struct, as the generated ABI declares it.
 */
const RECORDS_ABI = [{ type: 'tuple[]', components: anomalyRecordParameter.components }] as const

/**
 * A Merkle tree laid out exactly as OpenZeppelin's StandardMerkleTree lays it out (sorted leaves,
 * leaves at the end of the node array in reverse, sorted pairs hashed), so roots and proofs are
 * the same; built here because the library's generic encoder is too slow for 5,000 records/s.
 */
export interface BatchTree {
  root: Hex
  /** Proof of the record at `index` (in the order the records were given). */
  proof(index: number): Hex[]
}

/** A batch ready to anchor: its tree, root, and the records encoded for calldata. */
export interface BuiltBatch {
  root: Hex
  count: number
  records: AnomalyRecord[]
  encoded: Hex
  tree: BatchTree
}

/** Builds the tree of `records` and encodes them for anchorBatch. */
export function buildBatch(records: AnomalyRecord[]): BuiltBatch {
  const tree = buildTree(records)
  return { root: tree.root, count: records.length, records, encoded: encodeRecords(records), tree }
}

/** Builds the StandardMerkleTree-compatible tree of `records`. */
export function buildTree(records: AnomalyRecord[]): BatchTree {
  if (records.length === 0) throw new Error('a Merkle tree needs at least one record')
  const leaves = records.map((r, i) => ({ hash: Buffer.from(leafBytesOf(r)), i }))
  leaves.sort((a, b) => Buffer.compare(a.hash, b.hash))
  const n = leaves.length
  const nodes: Buffer[] = new Array(2 * n - 1)
  const position = new Int32Array(n)
  leaves.forEach((leaf, k) => {
    nodes[nodes.length - 1 - k] = leaf.hash
    position[leaf.i] = nodes.length - 1 - k
  })
  for (let i = nodes.length - 1 - n; i >= 0; i--) nodes[i] = hashPair(nodes[2 * i + 1], nodes[2 * i + 2])
  return {
    root: bytesToHex(nodes[0]),
    proof(index) {
      if (!(index >= 0 && index < n)) throw new RangeError(`no record ${index} in this batch`)
      const out: Hex[] = []
      for (let i = position[index]; i > 0; i = Math.floor((i - 1) / 2)) out.push(bytesToHex(nodes[i % 2 === 1 ? i + 1 : i - 1]))
      return out
    },
  }
}

function hashPair(a: Buffer, b: Buffer): Buffer {
  const pair = Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a])
  return keccak(pair)
}

/** ABI-encodes records as BatchAnchored carries them (data as canonical JSON bytes). */
export function encodeRecords(records: AnomalyRecord[]): Hex {
  return encodeAbiParameters(RECORDS_ABI, [
    records.map((r) => ({
      id: r.id,
      endpoint: r.endpoint,
      level: r.level,
      collectedAt: BigInt(r.collectedAt),
      data: stringToHex(canonicalJson(r.data)),
    })),
  ])
}

/**
 * Decodes BatchAnchored's records; undefined when they are not a well-formed record array.
 * Reads the ABI layout directly from a buffer: rebuilding an index of 100,000 records at start is
 * dominated by this, and viem's generic decoder is several times slower.
 */
export function decodeRecords(encoded: Hex): AnomalyRecord[] | undefined {
  try {
    const buf = Buffer.from(encoded.slice(2), 'hex')
    const word = (at: number): number => {
      if (at < 0 || at + 32 > buf.length) throw new RangeError('out of bounds')
      // Offsets, lengths and uint64 fit in the last 8 bytes; anything above is malformed.
      if (buf.readBigUInt64BE(at) !== 0n || buf.readBigUInt64BE(at + 8) !== 0n || buf.readBigUInt64BE(at + 16) !== 0n) throw new RangeError('too big')
      const v = buf.readBigUInt64BE(at + 24)
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('too big')
      return Number(v)
    }
    const bytesAt = (at: number): Buffer => {
      const len = word(at)
      if (at + 32 + len > buf.length) throw new RangeError('out of bounds')
      return buf.subarray(at + 32, at + 32 + len)
    }
    const arr = word(0)
    const n = word(arr)
    const base = arr + 32
    const out: AnomalyRecord[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const t = base + word(base + 32 * i)
      const level = word(t + 64)
      if (level > 255) throw new RangeError('level is not a uint8')
      out[i] = {
        id: utf8(bytesAt(t + word(t))),
        endpoint: utf8(bytesAt(t + word(t + 32))),
        level,
        collectedAt: word(t + 96),
        data: JSON.parse(utf8(bytesAt(t + word(t + 128)))) as unknown,
      }
    }
    return out
  } catch {
    return undefined
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })
function utf8(b: Buffer): string {
  return UTF8.decode(b)
}

/** viem's generic decoder of the same layout (reference for tests). */
export function decodeRecordsSlow(encoded: Hex): AnomalyRecord[] {
  const [rows] = decodeAbiParameters(RECORDS_ABI, encoded)
  return rows.map((r) => ({
    id: r.id,
    endpoint: r.endpoint,
    level: r.level,
    collectedAt: Number(r.collectedAt),
    data: JSON.parse(bytesToString(hexToBytes(r.data))) as unknown,
  }))
}

/** Checks a record's leaf against a root with a proof, with OpenZeppelin's own verifier. */
export function verifyLeaf(root: Hex, record: AnomalyRecord, proof: Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...LEAF_TYPES], leafValuesOf(record), proof)
  } catch {
    return false
  }
}
