import { parseEventLogs, type Address, type Hash, type Hex } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { writeAndWait } from '../writeAndWait.js'

export interface AnchorBatchParameters {
  anomalyStore: Address
  root: Hex
  count: number
  /** ABI-encoded records (see src/anomalies/merkle.ts encodeRecords). */
  records: Hex
}

/** Anchors one batch and waits for it to be mined; returns its batch id. For one-off posts (the CLI). */
export async function anchorBatch(
  conn: ChainConnection,
  p: AnchorBatchParameters,
): Promise<{ batchId: bigint; txHash: Hash; block: bigint; gasUsed: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.anomalyStore,
    abi: anomalyStoreAbi,
    functionName: 'anchorBatch',
    args: [p.root, p.count, p.records],
  })
  const [anchored] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'BatchAnchored' })
  return { batchId: anchored?.args.batchId ?? 0n, txHash, block: receipt.blockNumber, gasUsed: receipt.gasUsed }
}
