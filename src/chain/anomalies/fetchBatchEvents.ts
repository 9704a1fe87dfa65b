import { parseEventLogs, type Address, type Hash, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'

/** One BatchAnchored event, records still ABI-encoded. */
export interface BatchEvent {
  batchId: bigint
  root: Hex
  count: number
  /** Block time, seconds since the epoch. */
  blockTime: bigint
  poster: Address
  records: Hex
  block: bigint
  blockHash: Hex
  logIndex: number
  txHash: Hash
}

export interface FetchBatchEventsParameters {
  anomalyStore: Address
  fromBlock: bigint
  toBlock: bigint
  /** Only this poster's batches. */
  poster?: Address
  /** Blocks per eth_getLogs request (public RPCs cap ranges). Default 5,000. */
  chunkSize?: bigint
  /** Called after each chunk with that chunk's events, in chain order. */
  onChunk?: (events: BatchEvent[], toBlock: bigint) => void
}

const BATCH_ANCHORED = anomalyStoreAbi.find((x) => x.type === 'event' && x.name === 'BatchAnchored')!

/**
 * Fetches AnomalyStore's BatchAnchored events in a block range, chunk by chunk, in chain order.
 * Batch events are large and RPC clients cap response sizes (viem at 10 MB, public nodes lower),
 * so when a request over several blocks fails the chunk is halved, and stays halved for the rest
 * of the range; a failure on a single block is the caller's (e.g. the RPC is down).
 */
export async function fetchBatchEvents(client: PublicClient, p: FetchBatchEventsParameters): Promise<BatchEvent[]> {
  let span = p.chunkSize ?? 5_000n
  const all: BatchEvent[] = []
  for (let from = p.fromBlock; from <= p.toBlock; ) {
    const to = from + span - 1n < p.toBlock ? from + span - 1n : p.toBlock
    let logs: unknown
    try {
      logs = await client.getLogs({
        address: p.anomalyStore,
        event: BATCH_ANCHORED as never,
        args: p.poster ? ({ poster: p.poster } as never) : undefined,
        fromBlock: from,
        toBlock: to,
      })
    } catch (err) {
      if (to === from) throw err
      span = (to - from + 1n) / 2n
      continue
    }
    const events = decodeBatchEvents(logs as never)
    p.onChunk?.(events, to)
    all.push(...events)
    from = to + 1n
  }
  return all
}

/** Decodes raw AnomalyStore logs into BatchEvents (other events are skipped), in chain order. */
export function decodeBatchEvents(logs: Parameters<typeof parseEventLogs>[0]['logs']): BatchEvent[] {
  const parsed = parseEventLogs({ abi: anomalyStoreAbi, logs, eventName: 'BatchAnchored', strict: true })
  const out = parsed.map((log) => ({
    batchId: log.args.batchId,
    root: log.args.root,
    count: Number(log.args.count),
    blockTime: log.args.blockTime,
    poster: log.args.poster,
    records: log.args.records,
    block: log.blockNumber ?? 0n,
    blockHash: log.blockHash ?? '0x',
    logIndex: log.logIndex ?? 0,
    txHash: log.transactionHash ?? '0x',
  })) as BatchEvent[]
  out.sort((x, y) => (x.block === y.block ? x.logIndex - y.logIndex : x.block < y.block ? -1 : 1))
  return out
}
