import { parseEventLogs, type Address, type Hex, type Log, type PublicClient } from 'viem'
import { clientStoreAbi, userStoreAbi } from '../generated/contracts.js'
import type { StoreEvent } from './events.js'
import { getLogsInChunks } from '../getLogsInChunks.js'

const STORE_ABI = [...clientStoreAbi, ...userStoreAbi]
const TYPES = new Set(['ClientAdded', 'ClientUpdated', 'ClientRemoved', 'UserAdded', 'UserUpdated', 'UserRemoved', 'SealingKeyChanged'])

export interface FetchStoreEventsParameters {
  clientStore: Address
  userStore: Address
  fromBlock: bigint
  toBlock: bigint
  /** Blocks per eth_getLogs request (public RPCs cap ranges). Default 5,000. */
  chunkSize?: bigint
  /** Called after each chunk with the events of that chunk, in chain order. */
  onChunk?: (events: StoreEvent[], toBlock: bigint) => void | Promise<void>
}

/** Fetches and decodes ClientStore and UserStore events in a block range, chunk by chunk. */
export async function fetchStoreEvents(client: PublicClient, p: FetchStoreEventsParameters): Promise<StoreEvent[]> {
  const all: StoreEvent[] = []
  await getLogsInChunks({
    fromBlock: p.fromBlock,
    toBlock: p.toBlock,
    chunkSize: p.chunkSize,
    fetch: (fromBlock, toBlock) => client.getLogs({ address: [p.clientStore, p.userStore], fromBlock, toBlock }),
    onChunk: async (logs, to) => {
      const events = decodeStoreEvents(logs)
      await p.onChunk?.(events, to)
      all.push(...events)
    },
  })
  return all
}

/** Decodes raw logs of the two stores into StoreEvents, sorted in chain order. */
export function decodeStoreEvents(logs: Log[]): StoreEvent[] {
  const parsed = parseEventLogs({ abi: STORE_ABI, logs, strict: true })
  const out: StoreEvent[] = []
  for (const log of parsed) {
    if (!TYPES.has(log.eventName)) continue
    const a = log.args as Record<string, unknown>
    const base = { version: Number(a.version ?? 0), block: log.blockNumber ?? 0n, logIndex: log.logIndex ?? 0 }
    switch (log.eventName) {
      case 'ClientAdded':
      case 'ClientUpdated':
        out.push({ type: log.eventName, endpointHash: a.endpointHash as Hex, record: a.record as never, ...base })
        break
      case 'ClientRemoved':
        out.push({ type: 'ClientRemoved', endpointHash: a.endpointHash as Hex, ...base })
        break
      case 'UserAdded':
      case 'UserUpdated': {
        const r = a.record as { role: number | bigint }
        out.push({ type: log.eventName, usernameHash: a.usernameHash as Hex, record: { ...(a.record as object), role: Number(r.role) } as never, ...base })
        break
      }
      case 'UserRemoved':
        out.push({ type: 'UserRemoved', usernameHash: a.usernameHash as Hex, ...base })
        break
      case 'SealingKeyChanged':
        out.push({ type: 'SealingKeyChanged', publicKey: a.publicKey as Hex, ...base })
        break
    }
  }
  out.sort((x, y) => (x.block === y.block ? x.logIndex - y.logIndex : x.block < y.block ? -1 : 1))
  return out
}
