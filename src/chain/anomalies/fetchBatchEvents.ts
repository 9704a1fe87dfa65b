import { getAddress, numberToHex, pad, parseEventLogs, toEventSelector, type AbiEvent, type Address, type Hash, type Hex, type PublicClient } from 'viem'
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
const BATCH_ANCHORED_TOPIC = toEventSelector(BATCH_ANCHORED as AbiEvent).toLowerCase() as Hex

/** Fetches AnomalyStore's BatchAnchored events in a block range, chunk by chunk, in chain order. */
export async function fetchBatchEvents(client: PublicClient, p: FetchBatchEventsParameters): Promise<BatchEvent[]> {
  const all: BatchEvent[] = []
  await getLogsInChunks({
    fromBlock: p.fromBlock,
    toBlock: p.toBlock,
    chunkSize: p.chunkSize,
    fetch: (fromBlock, toBlock) =>
      // Raw eth_getLogs: viem's getLogs with an event decodes every log, and decodeBatchEvents
      // would decode it a second time.
      client.request({
        method: 'eth_getLogs',
        params: [
          {
            address: p.anomalyStore,
            topics: [BATCH_ANCHORED_TOPIC, null, p.poster ? pad(p.poster.toLowerCase() as Hex) : null],
            fromBlock: numberToHex(fromBlock),
            toBlock: numberToHex(toBlock),
          },
        ],
      }) as Promise<unknown[]>,
    onChunk: (logs, to) => {
      const events = decodeBatchEvents(logs as never)
      p.onChunk?.(events, to)
      all.push(...events)
    },
  })
  return all
}

type RawLog = Parameters<typeof parseEventLogs>[0]['logs'][number]

/** Head words of BatchAnchored's data: root, count, blockTime, the offset of records, their length. */
const HEAD_HEX = 5 * 64
const RECORDS_OFFSET = (4 * 32).toString(16).padStart(64, '0')

/**
 * Reads one BatchAnchored log by hand: its data is five fixed words and the records, which stay
 * a slice of the hex. viem's decoder turns the whole data (up to 120 KiB a batch) into bytes and
 * back, and at 5,000 anomalies/s that was 1 s in 13. Anything that is not exactly the layout
 * solc emits returns undefined, and the caller hands it to viem's strict decoder instead.
 */
function decodeBatchLog(log: RawLog): BatchEvent | undefined {
  const { topics, data } = log
  if (topics.length !== 3 || topics[0]?.toLowerCase() !== BATCH_ANCHORED_TOPIC) return undefined
  if (data.length < 2 + HEAD_HEX) return undefined
  const word = (i: number): string => data.slice(2 + 64 * i, 2 + 64 * (i + 1))
  const count = word(1)
  const blockTime = word(2)
  const length = Number.parseInt(word(4), 16)
  const end = 2 + HEAD_HEX + 2 * length
  // uint32 and uint64 fill only their low bytes; records sit right after the head, padded to words.
  if (!/^0{56}/.test(count) || !/^0{48}/.test(blockTime) || word(3) !== RECORDS_OFFSET) return undefined
  if (!Number.isSafeInteger(length) || data.length !== 2 + HEAD_HEX + 64 * Math.ceil(length / 32)) return undefined
  if (!/^0{24}/.test(topics[2]!.slice(2))) return undefined
  return {
    batchId: BigInt(topics[1]!),
    root: `0x${word(0)}`,
    count: Number.parseInt(count, 16),
    blockTime: BigInt(`0x${blockTime}`),
    poster: getAddress(`0x${topics[2]!.slice(26)}`),
    records: `0x${data.slice(2 + HEAD_HEX, end)}`,
    // viem's logs carry numbers; a raw RPC log carries hex quantities.
    block: BigInt(log.blockNumber ?? 0),
    blockHash: log.blockHash ?? '0x',
    logIndex: Number(log.logIndex ?? 0),
    txHash: log.transactionHash ?? '0x',
  }
}

/** Decodes raw AnomalyStore logs into BatchEvents (other events are skipped), in chain order. */
export function decodeBatchEvents(logs: readonly RawLog[]): BatchEvent[] {
  const out: BatchEvent[] = []
  const odd: RawLog[] = []
  for (const log of logs) {
    const e = decodeBatchLog(log)
    if (e) out.push(e)
    else odd.push(log)
  }
  if (odd.length > 0) {
    for (const log of parseEventLogs({ abi: anomalyStoreAbi, logs: odd, eventName: 'BatchAnchored', strict: true })) {
      out.push({
        batchId: log.args.batchId,
        root: log.args.root,
        count: Number(log.args.count),
        blockTime: log.args.blockTime,
        poster: log.args.poster,
        records: log.args.records,
        block: BigInt(log.blockNumber ?? 0),
        blockHash: log.blockHash ?? '0x',
        logIndex: Number(log.logIndex ?? 0),
        txHash: log.transactionHash ?? '0x',
      })
    }
  }
  out.sort((x, y) => (x.block === y.block ? x.logIndex - y.logIndex : x.block < y.block ? -1 : 1))
  return out
}
