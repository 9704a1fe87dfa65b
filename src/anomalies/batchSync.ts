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
  /** Called before a full reload (the chain was replaced, or reorganised beyond the recent blocks). */
  onReset: () => void
  /**
   * Called when a reorg is rolled back to `fork` (the newest recent block still on the chain):
   * forget what was indexed above it; the follower then reads the new blocks from there.
   */
  onRollback?: (fork: bigint) => void
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
  // Recent heads applied (newest last), to find a reorg's fork point instead of reloading all.
  let recent: { block: bigint; hash: Hex }[] = o.initialCursor ? [o.initialCursor] : []
  const remember = (block: bigint, hash: Hex): void => {
    if (recent.at(-1)?.block === block) recent.pop()
    recent.push({ block, hash })
    if (recent.length > 256) recent = recent.slice(-256)
  }
  const forkPoint = async (below: bigint): Promise<{ block: bigint; hash: Hex } | undefined> => {
    for (let i = recent.length - 1; i >= 0; i--) {
      if (recent[i].block > below) continue
      const b = await o.publicClient.getBlock({ blockNumber: recent[i].block }).catch(() => undefined)
      if (b?.hash === recent[i].hash) return recent[i]
    }
    return undefined
  }
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
    let reload = forceReload || cursor === undefined
    forceReload = false
    if (!reload && cursor) {
      if (head.number === cursor.block && head.hash === cursor.hash) return
      const atCursor = head.number < cursor.block ? undefined : await o.publicClient.getBlock({ blockNumber: cursor.block }).catch(() => undefined)
      if (!atCursor || (cursor.hash !== undefined && atCursor.hash !== cursor.hash)) {
        const fork = o.onRollback ? await forkPoint(head.number) : undefined
        if (fork) {
          o.logger?.warn({ cursor: cursor.block.toString(), fork: fork.block.toString() }, 'anomaly index: chain reorganised; rolling back to the fork point')
          o.onRollback!(fork.block)
          recent = recent.filter((r) => r.block <= fork.block)
          cursor = fork
          if (head.number > fork.block) await fetchRange(fork.block + 1n, head.number, head.hash)
          cursor = { block: head.number, hash: head.hash }
          remember(head.number, head.hash)
          await o.onReloaded?.(head.number)
          return
        }
        reload = true
      }
    }
    if (reload) {
      if (cursor) {
        o.logger?.warn({ cursor: cursor.block.toString() }, 'anomaly index: chain rewound or replaced; reloading')
        o.onReset()
      }
      cursor = undefined
      await fetchRange(o.deployBlock, head.number, head.hash)
      cursor = { block: head.number, hash: head.hash }
      recent = []
      remember(head.number, head.hash)
      await o.onReloaded?.(head.number)
      return
    }
    if (head.number > cursor!.block) await fetchRange(cursor!.block + 1n, head.number, head.hash)
    cursor = { block: head.number, hash: head.hash }
    remember(head.number, head.hash)
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
