import type { Address, PublicClient } from 'viem'
import { fetchBatchEvents } from '../chain/anomalies/fetchBatchEvents.js'
import { toChainError } from '../chain/toChainError.js'
import { AnomalyIndex } from './anomalyIndex.js'

/** One-shot index of every anchored anomaly, from BatchAnchored logs (for the CLI); daemons use the ledger. */
export async function loadAnomalyIndex(
  client: PublicClient,
  p: { anomalyStore: Address; deployBlock: bigint; rpcUrl?: string },
): Promise<AnomalyIndex> {
  const index = new AnomalyIndex()
  try {
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const events = await fetchBatchEvents(client, { anomalyStore: p.anomalyStore, fromBlock: p.deployBlock, toBlock: head })
    for (const ev of events) index.applyBatch(ev)
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  return index
}
