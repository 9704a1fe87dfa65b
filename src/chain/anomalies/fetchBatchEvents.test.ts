import { describe, expect, it } from 'vitest'
import { encodeAbiParameters, encodeEventTopics, parseEventLogs, type Hex } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { decodeBatchEvents } from './fetchBatchEvents.js'

const poster = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const store = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

function batchLog(i: number, records: Hex, data?: Hex) {
  const topics = encodeEventTopics({ abi: anomalyStoreAbi, eventName: 'BatchAnchored', args: { batchId: BigInt(i), poster } })
  return {
    address: store,
    topics,
    data: data ?? encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint32' }, { type: 'uint64' }, { type: 'bytes' }], [`0x${String(i).padStart(64, '7')}`, 4_000_000_000, 1_790_000_000n + BigInt(i), records]),
    blockNumber: BigInt(100 - i),
    blockHash: `0x${'cd'.repeat(32)}`,
    logIndex: i,
    transactionHash: `0x${String(i).padStart(64, '0')}`,
    transactionIndex: 0,
    removed: false,
  } as const
}

const viemDecode = (logs: ReturnType<typeof batchLog>[]) =>
  parseEventLogs({ abi: anomalyStoreAbi, logs: logs as never, eventName: 'BatchAnchored', strict: true }).map((l) => ({
    batchId: l.args.batchId,
    root: l.args.root,
    count: Number(l.args.count),
    blockTime: l.args.blockTime,
    poster: l.args.poster,
    records: l.args.records,
  }))

describe('decodeBatchEvents', () => {
  it('reads what viem reads, for records of every length modulo 32 and a large batch', () => {
    const logs = [0, 1, 31, 32, 33, 64, 120 * 1024].map((n, i) => batchLog(i + 1, `0x${'5a'.repeat(n)}` as Hex))
    const ours = decodeBatchEvents(logs as never)
    const theirs = viemDecode(logs)
    // Chain order: the later i sits in an earlier block here.
    expect(ours.map(({ batchId, root, count, blockTime, poster, records }) => ({ batchId, root, count, blockTime, poster, records }))).toEqual(theirs.reverse())
    expect(ours[0]).toMatchObject({ block: 93n, logIndex: 7, blockHash: `0x${'cd'.repeat(32)}` })
  })

  it('hands a layout it does not expect to viem, and skips what is not BatchAnchored', () => {
    const records = '0xabcdef' as Hex
    const good = batchLog(1, records)
    // The same event with the records placed one word further on: valid ABI, not solc's layout.
    const shifted = `0x${good.data.slice(2, 2 + 64 * 3)}${(5 * 32).toString(16).padStart(64, '0')}${'0'.repeat(64)}${good.data.slice(2 + 64 * 4)}` as Hex
    const odd = batchLog(2, records, shifted)
    const truncated = batchLog(3, records, good.data.slice(0, 2 + 64 * 4) as Hex)
    const foreign = { ...batchLog(4, records), topics: [`0x${'11'.repeat(32)}`, ...good.topics.slice(1)] }
    const events = decodeBatchEvents([good, odd, truncated, foreign] as never)
    expect(events.map((e) => [e.batchId, e.records])).toEqual([
      [2n, records],
      [1n, records],
    ])
  })
})
