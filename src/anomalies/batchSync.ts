import type { Address, Hex, PublicClient } from 'viem'
import { fetchBatchEvents, type BatchEvent } from '../chain/anomalies/fetchBatchEvents.js'
import { createPollLoop } from '../chain/pollLoop.js'
import type { ViewLag } from '../chain/view/types.js'
import type { Logger } from '../logger.js'

export interface BatchSyncOptions {
  publicClient: PublicClient
  anomalyStore: Address
  deployBlock: bigint
  /** Called for every block range read (events in chain order, possibly none). */
  onBatches: (events: BatchEvent[], fromBlock: bigint, toBlock: bigint) => void
  /** Called before a full reload (the chain was rewound, reorganised or replaced). */
  onReset: () => void
  /** Called after a full reload (including the first load) has applied everything up to `head`. */
  onReloaded?: (head: bigint) => Promise<void> | void
  /** Where a previous run stopped (from a snapshot): its block hash is checked before resuming. */
  initialCursor?: { block: bigint; hash: Hex }
  /** Default 1,000 ms. */
  pollIntervalMs?: number
  chunkSize?: bigint
  rpcUrl?: string
  logger?: Logger
}

/** Follows AnomalyStore's BatchAnchored events, ChainView-style: cursor with block hash, polling, outage tolerant. */
export interface BatchSync {
  /** Syncs once (an unreachable RPC is only logged) and starts polling. */
  start(): Promise<void>
  stop(): Promise<void>
  /** One sync round now; rejects on RPC failure. Concurrent calls share the round in flight. */
  syncNow(): Promise<void>
  lag(): ViewLag
  /** Makes the next round a full reload (a batch known from its receipt is missing from the logs). */
  reload(): void
  /** The last block applied and its hash (undefined before the first sync or mid-range). */
  cursor(): { block: bigint; hash: Hex } | undefined
}

/**
 * Creates the follower. It persists nothing itself: the ledger snapshots the index with this
 * cursor, and passes the cursor back as `initialCursor` on the next start.
 */
export function createBatchSync(o: BatchSyncOptions): BatchSync {
  let cursor: { block: bigint; hash?: Hex } | undefined = o.initialCursor
  let lastSeenHead: bigint | undefined

  let chunkFrom = 0n
  let forceReload = false
  const fetchRange = (fromBlock: bigint, toBlock: bigint, headHash: Hex) => {
    chunkFrom = fromBlock
    return fetchBatchEvents(o.publicClient, {
      anomalyStore: o.anomalyStore,
      fromBlock,
      toBlock,
      chunkSize: o.chunkSize,
      onChunk: (events, to) => {
        o.onBatches(events, chunkFrom, to)
        chunkFrom = to + 1n
        cursor = { block: to, hash: to === toBlock ? headHash : undefined }
      },
    })
  }

  const round = async (): Promise<void> => {
    const head = await o.publicClient.getBlock({ blockTag: 'latest' })
    if (head.number === null || head.hash === null) return
    lastSeenHead = head.number
    let reload = forceReload || cursor === undefined || head.number < cursor.block
    forceReload = false
    if (!reload && cursor) {
      if (head.number === cursor.block && head.hash === cursor.hash) return
      const atCursor = await o.publicClient.getBlock({ blockNumber: cursor.block }).catch(() => undefined)
      reload = !atCursor || (cursor.hash !== undefined && atCursor.hash !== cursor.hash)
    }
    if (reload) {
      if (cursor) {
        o.logger?.warn({ cursor: cursor.block.toString() }, 'anomaly index: chain rewound or replaced; reloading')
        o.onReset()
      }
      cursor = undefined
      await fetchRange(o.deployBlock, head.number, head.hash)
      cursor = { block: head.number, hash: head.hash }
      await o.onReloaded?.(head.number)
      return
    }
    if (head.number > cursor!.block) await fetchRange(cursor!.block + 1n, head.number, head.hash)
    cursor = { block: head.number, hash: head.hash }
  }

  const loop = createPollLoop({
    round,
    pollIntervalMs: o.pollIntervalMs ?? 1_000,
    label: 'anomaly index',
    rpcUrl: o.rpcUrl,
    logger: o.logger,
  })

  return {
    async start() {
      if (loop.running()) return
      await loop.syncNow().catch(() => undefined)
      loop.start()
    },
    stop: () => loop.stop(),
    syncNow: () => loop.syncNow(),
    reload() {
      forceReload = true
    },
    cursor: () => (cursor?.hash ? { block: cursor.block, hash: cursor.hash } : undefined),
    lag: () => loop.lag(lastSeenHead, cursor?.block),
  }
}
