import { parseEventLogs, type Address, type Hash, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { getLogsInChunks } from '../getLogsInChunks.js'

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

/** Fetches AnomalyStore's BatchAnchored events in a block range, chunk by chunk, in chain order. */
export async function fetchBatchEvents(client: PublicClient, p: FetchBatchEventsParameters): Promise<BatchEvent[]> {
  const all: BatchEvent[] = []
  await getLogsInChunks({
    fromBlock: p.fromBlock,
    toBlock: p.toBlock,
    chunkSize: p.chunkSize,
    fetch: (fromBlock, toBlock) =>
      client.getLogs({
        address: p.anomalyStore,
        event: BATCH_ANCHORED as never,
        args: p.poster ? ({ poster: p.poster } as never) : undefined,
        fromBlock,
        toBlock,
      }) as Promise<unknown[]>,
    onChunk: (logs, to) => {
      const events = decodeBatchEvents(logs as never)
      p.onChunk?.(events, to)
      all.push(...events)
    },
  })
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
