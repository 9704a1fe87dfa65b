import { parseEventLogs, type Address, type Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { writeAndWait } from '../writeAndWait.js'

export interface PostAnomalyParameters {
  anomalyStore: Address
  endpoint: string
  /** Severity 0-255. */
  level: number
  /** When the data was collected, seconds since the epoch. */
  collectedAt: bigint
  /** The anomaly's data (e.g. UTF-8 JSON). */
  data: Uint8Array
}

/** Posts one anomaly directly to AnomalyStore; returns its id (ids start at 1). */
export async function postAnomaly(conn: ChainConnection, p: PostAnomalyParameters): Promise<{ id: bigint; txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.anomalyStore,
    abi: anomalyStoreAbi,
    functionName: 'postAnomaly',
    args: [p.endpoint, p.level, p.collectedAt, `0x${Buffer.from(p.data).toString('hex')}`],
    errorContext: { endpoint: p.endpoint },
  })
  const [posted] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'AnomalyPosted' })
  return { id: (posted?.args as { id: bigint } | undefined)?.id ?? 0n, txHash, block: receipt.blockNumber }
}
