import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Address, Hash, Hex } from 'viem'
import type { AnomalyRecord } from './record.js'

/** One indexed batch as persisted (records decoded, bigints as strings). */
export interface SnapshotBatch {
  batchId: string
  root: Hex
  count: number
  blockTime: string
  poster: Address
  block: string
  txHash: Hash
  records: AnomalyRecord[]
}

/**
 * The chain half of the anomaly index, persisted so that a restart resumes from its cursor
 * instead of re-reading every BatchAnchored log (100,000 records take seconds to fetch and decode).
 */
export interface IndexSnapshot {
  format: 1
  anomalyStore: Address
  deployBlock: string
  cursor: { block: string; hash: Hex }
  batches: SnapshotBatch[]
}

/** Reads a snapshot for this store and deploy block; undefined when missing, unreadable or another store's. */
export function readIndexSnapshot(path: string, anomalyStore: Address, deployBlock: bigint): IndexSnapshot | undefined {
  if (!existsSync(path)) return undefined
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as IndexSnapshot
    if (s.format !== 1 || !s.cursor || !Array.isArray(s.batches)) return undefined
    if (s.anomalyStore.toLowerCase() !== anomalyStore.toLowerCase() || s.deployBlock !== deployBlock.toString()) return undefined
    return s
  } catch {
    return undefined
  }
}

/** Writes a snapshot atomically (temp file + rename), mode 0600. */
export function writeIndexSnapshot(path: string, snapshot: IndexSnapshot): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 })
  renameSync(tmp, path)
}
