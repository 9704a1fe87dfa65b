import { parseEventLogs, type Address, type Hex, type Log, type PublicClient } from 'viem'
import { byChainOrder, getRawLogs, logPosition, type RawLog } from '../rawLogs.js'
import { decodeClientLog } from './decodeClientLog.js'
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
    fetch: (fromBlock, toBlock) => getRawLogs(client, { address: [p.clientStore, p.userStore], fromBlock, toBlock }),
    onChunk: async (logs, to) => {
      const events = decodeStoreEvents(logs)
      await p.onChunk?.(events, to)
      all.push(...events)
    },
  })
  return all
}

/**
 * Decodes logs of the two stores into StoreEvents, sorted in chain order. Client records, nearly
 * all of a registry's logs, are read by decodeClientLog; the rest by viem's strict decoder.
 */
export function decodeStoreEvents(logs: readonly (RawLog | Log)[]): StoreEvent[] {
  const out: StoreEvent[] = []
  const rest: RawLog[] = []
  for (const log of logs as RawLog[]) {
    const c = decodeClientLog(log)
    if (c) out.push({ ...c, ...logPosition(log) })
    else rest.push(log)
  }
  const parsed = rest.length > 0 ? parseEventLogs({ abi: STORE_ABI, logs: rest as Log[], strict: true }) : []
  for (const log of parsed) {
    if (!TYPES.has(log.eventName)) continue
    const a = log.args as Record<string, unknown>
    const base = { version: Number(a.version ?? 0), ...logPosition(log as RawLog) }
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
  out.sort(byChainOrder)
  return out
}
