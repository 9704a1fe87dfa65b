import type { Hash } from 'viem'
import { postAnomaly } from '../../chain/anomalies/postAnomaly.js'
import { InvalidInputError, validateText } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface AnomalyPostInput {
  endpoint: string
  level: string | number
  /** JSON text. */
  data: string
  /** ISO 8601; default now. */
  timestamp?: string
}

/** Parses an ISO 8601 time into seconds since the epoch. */
export function parseIsoSeconds(value: string, field: string): bigint {
  const ms = Date.parse(value)
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new InvalidInputError(`${field} is not an ISO 8601 time: "${value}"`)
  if (ms < 0) throw new InvalidInputError(`${field} is before 1970`)
  return BigInt(Math.floor(ms / 1000))
}

/** Posts an anomaly directly to AnomalyStore (data as compact JSON). */
export async function runAnomalyPost(
  o: ChainCommandOptions,
  input: AnomalyPostInput,
): Promise<{ id: string; endpoint: string; level: number; timestamp: string; txHash: Hash }> {
  const endpoint = validateText(input.endpoint, 'endpoint name')
  const level = Number(input.level)
  if (!Number.isInteger(level) || level < 0 || level > 255) throw new InvalidInputError(`level must be an integer 0-255, not "${input.level}"`)
  let data: string
  try {
    data = JSON.stringify(JSON.parse(input.data))
  } catch {
    throw new InvalidInputError('--data is not valid JSON')
  }
  const collectedAt = input.timestamp ? parseIsoSeconds(input.timestamp, '--timestamp') : BigInt(Math.floor(Date.now() / 1000))
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const r = await postAnomaly(conn, {
    anomalyStore: deployment.contracts.anomalyStore,
    endpoint,
    level,
    collectedAt,
    data: new TextEncoder().encode(data),
  })
  return { id: r.id.toString(), endpoint, level, timestamp: new Date(Number(collectedAt) * 1000).toISOString(), txHash: r.txHash }
}
