import { getAddress, pad, parseEventLogs, toEventSelector, type AbiEvent, type Address, type Hash, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { getLogsInChunks } from '../getLogsInChunks.js'
import { byChainOrder, getRawLogs, logPosition, type RawLog } from '../rawLogs.js'

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
const BATCH_ANCHORED_TOPIC = toEventSelector(BATCH_ANCHORED as AbiEvent).toLowerCase() as Hex

/** Fetches AnomalyStore's BatchAnchored events in a block range, chunk by chunk, in chain order. */
export async function fetchBatchEvents(client: PublicClient, p: FetchBatchEventsParameters): Promise<BatchEvent[]> {
  const all: BatchEvent[] = []
  await getLogsInChunks({
    fromBlock: p.fromBlock,
    toBlock: p.toBlock,
    chunkSize: p.chunkSize,
    fetch: (fromBlock, toBlock) =>
      getRawLogs(client, { address: p.anomalyStore, topics: [BATCH_ANCHORED_TOPIC, null, p.poster ? pad(p.poster.toLowerCase() as Hex) : null], fromBlock, toBlock }),
    onChunk: (logs, to) => {
      const events = decodeBatchEvents(logs)
      p.onChunk?.(events, to)
      all.push(...events)
    },
  })
  return all
}

type BatchFields = Pick<BatchEvent, 'batchId' | 'root' | 'count' | 'blockTime' | 'poster' | 'records'>

/** A BatchEvent: the event's fields, and where its log sits. */
const batchEvent = (fields: BatchFields, log: RawLog): BatchEvent => ({
  ...fields,
  ...logPosition(log),
  blockHash: log.blockHash ?? '0x',
  txHash: log.transactionHash ?? '0x',
})

/** Head words of BatchAnchored's data: root, count, blockTime, the offset of records, their length. */
const HEAD_HEX = 5 * 64
const RECORDS_OFFSET = (4 * 32).toString(16).padStart(64, '0')

/**
 * Reads one BatchAnchored log by hand: its data is five fixed words and the records, which stay
 * a slice of the hex. viem's decoder turns the whole data (up to 120 KiB a batch) into bytes and
 * back, and at 5,000 anomalies/s that was 1 s in 13. Anything that is not exactly the layout
 * solc emits returns undefined, and the caller hands it to viem's strict decoder instead.
 */
function decodeBatchLog(log: RawLog): BatchFields | undefined {
  const { topics, data } = log
  const [topic0, batchId, poster] = topics
  if (topics.length !== 3 || typeof topic0 !== 'string' || topic0.toLowerCase() !== BATCH_ANCHORED_TOPIC) return undefined
  if (data.length < 2 + HEAD_HEX) return undefined
  const word = (i: number): string => data.slice(2 + 64 * i, 2 + 64 * (i + 1))
  const count = word(1)
  const blockTime = word(2)
  const length = Number.parseInt(word(4), 16)
  const end = 2 + HEAD_HEX + 2 * length
  // uint32 and uint64 fill only their low bytes; records sit right after the head, padded to words.
  if (!/^0{56}/.test(count) || !/^0{48}/.test(blockTime) || word(3) !== RECORDS_OFFSET) return undefined
  if (!Number.isSafeInteger(length) || data.length !== 2 + HEAD_HEX + 64 * Math.ceil(length / 32)) return undefined
  if (typeof batchId !== 'string' || typeof poster !== 'string' || !/^0{24}/.test(poster.slice(2))) return undefined
  return {
    batchId: BigInt(batchId),
    root: `0x${word(0)}`,
    count: Number.parseInt(count, 16),
    blockTime: BigInt(`0x${blockTime}`),
    poster: getAddress(`0x${poster.slice(26)}`),
    records: `0x${data.slice(2 + HEAD_HEX, end)}`,
  }
}

/** Decodes raw AnomalyStore logs into BatchEvents (other events are skipped), in chain order. */
export function decodeBatchEvents(logs: readonly RawLog[]): BatchEvent[] {
  const out: BatchEvent[] = []
  const odd: RawLog[] = []
  for (const log of logs) {
    const fields = decodeBatchLog(log)
    if (fields) out.push(batchEvent(fields, log))
    else odd.push(log)
  }
  if (odd.length > 0) {
    for (const log of parseEventLogs({ abi: anomalyStoreAbi, logs: odd as never, eventName: 'BatchAnchored', strict: true })) {
      const { batchId, root, count, blockTime, poster, records } = log.args
      out.push(batchEvent({ batchId, root, count: Number(count), blockTime, poster, records }, log as RawLog))
    }
  }
  out.sort(byChainOrder)
  return out
}
