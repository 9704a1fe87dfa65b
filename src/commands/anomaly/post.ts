import type { Hash, Hex } from 'viem'
import { anchorBatch } from '../../chain/anomalies/anchorBatch.js'
import { buildBatch } from '../../anomalies/merkle.js'
import { parseAnomalyInput, toIsoTime, type AnomalyRecord } from '../../anomalies/record.js'
import { createUlidGenerator } from '../../anomalies/ulid.js'
import { InvalidInputError } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface AnomalyPostInput {
  endpoint: string
  level: string | number
  /** JSON text. */
  data: string
  /** ISO 8601; default now. */
  timestamp?: string
}

/** What `anomaly post` prints. */
export interface AnomalyPostResult {
  id: string
  endpoint: string
  level: number
  timestamp: string
  data: unknown
  batchId: string
  root: Hex
  txHash: Hash
}

/** Parses an ISO 8601 time into seconds since the epoch. */
export function parseIsoSeconds(value: string, field: string): bigint {
  const ms = Date.parse(value)
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new InvalidInputError(`${field} is not an ISO 8601 time: "${value}"`)
  if (ms < 0) throw new InvalidInputError(`${field} is before 1970`)
  return BigInt(Math.floor(ms / 1000))
}

/** Posts an anomaly directly on chain as a Merkle batch of one; prints its id, batch and transaction. */
export async function runAnomalyPost(o: ChainCommandOptions, input: AnomalyPostInput): Promise<AnomalyPostResult> {
  let data: unknown
  try {
    data = JSON.parse(input.data)
  } catch {
    throw new InvalidInputError('--data is not valid JSON')
  }
  if (input.timestamp !== undefined) parseIsoSeconds(input.timestamp, '--timestamp')
  const fields = parseAnomalyInput({ endpoint: input.endpoint, level: input.level, data, timestamp: input.timestamp })
  const record: AnomalyRecord = { id: createUlidGenerator()(), ...fields }
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const batch = buildBatch([record])
  const r = await anchorBatch(conn, { anomalyStore: deployment.contracts.anomalyStore, root: batch.root, count: 1, records: batch.encoded })
  return {
    id: record.id,
    endpoint: record.endpoint,
    level: record.level,
    timestamp: toIsoTime(record.collectedAt),
    data: record.data,
    batchId: r.batchId.toString(),
    root: batch.root,
    txHash: r.txHash,
  }
}
