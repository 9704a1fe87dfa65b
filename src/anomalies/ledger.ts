import { join } from 'node:path'
import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../chain/connectChain.js'
import { AnomalyNotFoundError } from '../chain/errors.js'
import type { ViewLag } from '../chain/view/types.js'
import type { Logger } from '../logger.js'
import type { FeePolicy } from '../chain/fees.js'
import { createAnchorLoop, resolveFinality, type AnchorLoop, type Finality } from './anchor.js'
import { AnomalyIndex, type AnomalyItem, type AnomalyProof, type ListPage, type ListQuery } from './anomalyIndex.js'
import { createBatchSync, type BatchSync } from './batchSync.js'
import { lockDataDir } from './dirLock.js'
import { LedgerNotRunningError } from './errors.js'
import { readIndexSnapshot, writeIndexSnapshot } from './indexSnapshot.js'
import { Outbox, type Anchoring } from './outbox.js'
import { parseAnomalyInput, parseAnomalyRecord, type AnomalyInput, type AnomalyRecord } from './record.js'
import { createUlidGenerator } from './ulid.js'
import { verifyRecord, type Verdict } from './verifyRecord.js'

export interface CreateAnomalyLedgerOptions {
  /** A connection with a signer holding AnomalyStore's POSTER_ROLE. */
  conn: ChainConnection
  /** AnomalyStore's address. */
  address: Address
  /** Where the outbox and journal live (created). One ledger process per directory. */
  dataDir: string
  logger: Logger
  /** First block to read BatchAnchored events from. Default 0. */
  deployBlock?: bigint | number | string
  /** Pause between anchoring rounds. Default 1,000 ms. */
  batchIntervalMs?: number
  /** Records per anchorBatch transaction at most. Default 1,000. */
  maxBatch?: number
  /** Signed bytes per anchorBatch transaction at most (geth-class pools refuse over 128 KiB). Default 120 KiB. */
  maxTxBytes?: number
  /** Gas per anchorBatch transaction at most. Default 15,000,000. */
  maxTxGas?: bigint
  /** How long flush() waits for receipts in one round. Default 60 s. */
  receiptTimeoutMs?: number
  /** Anchoring transactions in flight at most (consecutive nonces). Default 64. */
  maxInflight?: number
  /**
   * When a batch is final (shown `anchored`, never undone): `{ confirmations: N }` blocks under the
   * head, or the node's `{ tag: 'finalized' }`. Default 0 confirmations on anvil (31337), else `finalized`.
   */
  finality?: Finality
  /** EIP-1559 fee ceiling, tip, and blocks before a stuck transaction is replaced (+12.5%). */
  fees?: Partial<FeePolicy>
  /** Poll period of the BatchAnchored follower. Default 1,000 ms. */
  pollIntervalMs?: number
  /** How often the chain index is snapshotted to the data dir when it changed (and at stop). Default 30 s. */
  snapshotIntervalMs?: number
}

/** What the ledger reports (for /api/metrics and health). */
export interface LedgerStats {
  /** Accepted records not yet anchored (waiting + in flight). */
  outboxDepth: number
  /** Of those, in a sent transaction awaiting its receipt. */
  inflight: number
  /** Records anchored on chain, as indexed (all posters). */
  anchored: number
  /** Batches indexed. */
  batches: number
  /** Records anchored a second time (exactly once means 0). */
  duplicates: number
  /** Records that can never be anchored (too big for any transaction the node accepts). */
  quarantined: number
  lastError?: string
  /** Code of lastError (LWC_INSUFFICIENT_FUNDS, LWC_FEE_CAP...: the daemon's health check fails on these). */
  lastErrorCode?: string
  chain: ViewLag
}

/**
 * Ledger events, for SSE: an accepted record; a batch of this ledger mined (`included`, with the
 * blocks still to be mined over it before it is final when finality is N confirmations), final
 * (`anchored`), or removed by a reorganisation before it was final (`unanchored`: its records
 * are in flight again, and will be included again by the very same transaction); a record that
 * can never be anchored (`quarantined`, with the reason), journaled so before the event; under
 * N-confirmation finality (N > 0), the highest final block whenever an anchoring round sees it
 * move (`confirmations`: an included record in block B has B − finalBlock blocks to go).
 */
export type LedgerEvent =
  | { type: 'accepted'; item: AnomalyItem }
  | { type: 'included'; ids: string[]; batchId: string; txHash: Hash; block: string; confirmationsToGo?: number }
  | { type: 'anchored' | 'unanchored'; ids: string[]; batchId: string; txHash: Hash; block: string }
  | { type: 'quarantined'; ids: string[]; reason: string }
  | { type: 'confirmations'; finalBlock: string }

/** The loss-free, verifiable anomaly ledger (see createAnomalyLedger). */
export interface AnomalyLedger {
  /** Opens the outbox, syncs the chain index (an unreachable chain is tolerated), starts anchoring. */
  start(): Promise<void>
  /** Stops anchoring and syncing, closes the outbox. Unanchored records stay for the next start. */
  stop(): Promise<void>
  /** Validates and durably stores a record; resolves with its id once fsync'd (before the chain confirms). Throws InvalidInputError. */
  accept(input: AnomalyInput): Promise<{ id: string }>
  get(id: string): AnomalyItem | undefined
  /** A page in (time, id) order; throws InvalidInputError on a bad limit, time or cursor. */
  list(query?: ListQuery): ListPage
  /** Inclusion proof once anchored. */
  proof(id: string): AnomalyProof | undefined
  /** Checks a record (or the stored copy of an id) against its on-chain root; unknown id → AnomalyNotFoundError. */
  verify(recordOrId: AnomalyRecord | string): Promise<Verdict>
  stats(): LedgerStats
  /** Calls `listener` for each ledger event; returns the unsubscribe function. */
  subscribe(listener: (event: LedgerEvent) => void): () => void
  /** Anchors what is pending now and waits for it (tests, benchmarks, orderly shutdown). */
  flush(): Promise<void>
}

/**
 * Creates the ledger: accept() appends to the durable outbox (group-committed fsync) and answers
 * at once; an anchoring loop writes pending records on chain in Merkle batches, exactly once,
 * riding out RPC outages and restarts; list/get/proof are answered from an in-memory index of the
 * outbox and of every BatchAnchored event.
 */
export function createAnomalyLedger(o: CreateAnomalyLedgerOptions): AnomalyLedger {
  const log = o.logger.child({ component: 'anomaly-ledger' })
  const nextId = createUlidGenerator()
  const listeners = new Set<(e: LedgerEvent) => void>()
  let index = new AnomalyIndex()
  let journalAnchored = new Map<string, Anchoring>()
  let quarantined = new Map<string, string>()
  let outbox: Outbox | undefined
  let sync: BatchSync | undefined
  let loop: AnchorLoop | undefined
  let running = false
  let unlock: (() => void) | undefined
  let snapshotTimer: NodeJS.Timeout | undefined
  let indexChanged = false
  /** Our batches indexed from their receipts and not yet seen in the logs: txHash → block. */
  const aheadOfLogs = new Map<string, bigint>()
  const deployBlock = BigInt(o.deployBlock ?? 0)
  const finality = resolveFinality(o.finality, o.conn.chainId)
  const snapshotPath = join(o.dataDir, 'anomaly-index.json')

  /** Persists the batches up to the sync cursor (later ones are re-read from logs on resume). */
  const persistIndex = (): void => {
    const cursor = sync?.cursor()
    if (!cursor || !indexChanged) return
    try {
      writeIndexSnapshot(snapshotPath, {
        format: 1,
        anomalyStore: o.address,
        deployBlock: deployBlock.toString(),
        cursor: { block: cursor.block.toString(), hash: cursor.hash },
        batches: index
          .allBatches()
          .filter((b) => b.block <= cursor.block)
          .map((b) => ({
            batchId: b.batchId.toString(),
            root: b.root,
            count: b.count,
            blockTime: b.blockTime.toString(),
            poster: b.poster,
            block: b.block.toString(),
            txHash: b.txHash,
            records: b.records,
          })),
      })
      indexChanged = false
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot persist the anomaly index snapshot')
    }
  }

  /**
   * After a full reload of the chain index: ids the journal calls anchored but the chain's events
   * do not hold are re-queued, only when their block provably left the chain (beyond the head, or
   * another hash at that height): a rewound or replaced chain loses nothing, a flaky log query
   * duplicates nothing.
   */
  const reconcile = async (head: bigint): Promise<void> => {
    const missing = new Map<string, { at: Anchoring; ids: string[] }>()
    for (const [id, at] of journalAnchored) {
      if (index.isAnchored(id) || !at.blockHash) continue
      const g = missing.get(at.txHash) ?? { at, ids: [] }
      g.ids.push(id)
      missing.set(at.txHash, g)
    }
    for (const { at, ids } of missing.values()) {
      const number = BigInt(at.block)
      const block = number > head ? undefined : await o.conn.publicClient.getBlock({ blockNumber: number }).catch(() => null)
      if (block === null) continue // cannot tell now; the next reload asks again
      if (block && block.hash === at.blockHash) continue
      await outbox!.appendJournal({ t: 'lost', txHash: at.txHash })
      for (const id of ids) journalAnchored.delete(id)
      loop?.requeue(ids)
      log.warn({ batchId: at.batchId, block: at.block, ids: ids.length }, 'an anchored batch is no longer on the chain; its records are queued again')
    }
  }

  const emit = (e: LedgerEvent): void => {
    for (const l of listeners) {
      try {
        l(e)
      } catch (err) {
        log.warn({ err }, 'anomaly ledger listener failed')
      }
    }
  }
  const isAnchored = (id: string): boolean => journalAnchored.has(id) || index.isAnchored(id)
  /**
   * Blocks still to be mined over `block` before it is final, when finality is N confirmations
   * and `final` (the highest final block) is known; undefined under the node's finalized tag,
   * whose pace the ledger cannot tell.
   */
  const confirmationsToGo = (block: bigint, final: bigint | undefined): number | undefined =>
    'confirmations' in finality && final !== undefined && block > final ? Number(block - final) : undefined
  /** An item as the index has it, with what only the ledger knows: quarantine, the journal's anchoring, confirmations to go. */
  const withLedgerState = (item: AnomalyItem): AnomalyItem => {
    if (item.status === 'pending' && quarantined.has(item.id)) return { ...item, status: 'quarantined', error: quarantined.get(item.id) }
    const at = item.status === 'pending' ? journalAnchored.get(item.id) : undefined
    if (at) return { ...item, status: 'anchored', ...at }
    const toGo = item.status === 'included' && item.block !== undefined ? confirmationsToGo(BigInt(item.block), index.finalBlock) : undefined
    return toGo === undefined ? item : { ...item, confirmationsToGo: toGo }
  }
  const requireRunning = (): void => {
    if (!running) throw new LedgerNotRunningError()
  }

  return {
    async start() {
      if (running) return
      unlock = lockDataDir(o.dataDir)
      let opened: Awaited<ReturnType<typeof Outbox.open>>
      try {
        opened = await Outbox.open(o.dataDir)
      } catch (err) {
        unlock()
        throw err
      }
      outbox = opened.outbox
      index = new AnomalyIndex()
      journalAnchored = opened.state.anchored
      quarantined = opened.state.quarantined
      for (const r of opened.state.records) index.addLocal(r)
      // Local records first: where the snapshot and the local store disagree, verify() must see the local copy.
      const snap = readIndexSnapshot(snapshotPath, o.address, deployBlock)
      for (const b of snap?.batches ?? []) {
        const ev = { ...b, batchId: BigInt(b.batchId), blockTime: BigInt(b.blockTime), block: BigInt(b.block), blockHash: '0x' as const, logIndex: 0, records: '0x' as const }
        index.applyBatch(ev, { records: b.records })
      }
      sync = createBatchSync({
        publicClient: o.conn.publicClient,
        anomalyStore: o.address,
        deployBlock,
        initialCursor: snap ? { block: BigInt(snap.cursor.block), hash: snap.cursor.hash } : undefined,
        pollIntervalMs: o.pollIntervalMs,
        rpcUrl: o.conn.rpcUrl,
        logger: log,
        onBatches: (events, from, to) => {
          for (const ev of events) {
            aheadOfLogs.delete(ev.txHash)
            if (index.applyBatch(ev).length > 0) indexChanged = true
          }
          // Our batches are indexed from their receipts, ahead of the logs; one whose block the
          // logs have now covered without it was reorganised or rewound away: reload and reconcile.
          for (const [tx, block] of aheadOfLogs) {
            if (block < from || block > to) continue
            aheadOfLogs.delete(tx)
            log.warn({ txHash: tx, block: block.toString() }, 'an anchored batch is missing from the logs of its block; reloading the index')
            sync?.reload()
          }
        },
        onRollback: (fork) => {
          // Batches above the fork point left the chain (ours are also re-sent by the anchor loop).
          for (const b of index.allBatches()) if (b.block > fork) index.removeBatch(b.batchId, b.txHash)
          for (const [tx, block] of aheadOfLogs) if (block > fork) aheadOfLogs.delete(tx)
          indexChanged = true
        },
        onReset: () => {
          aheadOfLogs.clear()
          index.resetChain()
          indexChanged = true
        },
        onReloaded: reconcile,
      })
      await sync.start()
      snapshotTimer = setInterval(persistIndex, o.snapshotIntervalMs ?? 30_000)
      snapshotTimer.unref?.()
      const inflightIds = new Set(opened.state.inflight.flatMap((b) => b.ids))
      const pending = opened.state.records.map((r) => r.id).filter((id) => !inflightIds.has(id) && !isAnchored(id) && !quarantined.has(id))
      loop = createAnchorLoop({
        conn: o.conn,
        anomalyStore: o.address,
        outbox,
        logger: log,
        recordOf: (id) => index.record(id),
        isAnchored,
        syncChain: () => sync!.syncNow(),
        onIncluded: (ids, at, event, built, final) => {
          // Only trust our own tree when the event carries exactly what we encoded.
          if (event) index.applyBatch(event, built && built.root === event.root && built.encoded === event.records ? built : undefined)
          const synced = sync?.cursor()
          if (!synced || synced.block < BigInt(at.block)) aheadOfLogs.set(at.txHash, BigInt(at.block))
          indexChanged = true
          const toGo = confirmationsToGo(BigInt(at.block), final)
          emit({ type: 'included', ids, batchId: at.batchId, txHash: at.txHash, block: at.block, ...(toGo !== undefined && { confirmationsToGo: toGo }) })
        },
        onFinal: (ids, at) => {
          for (const id of ids) journalAnchored.set(id, at)
          indexChanged = true
          emit({ type: 'anchored', ids, batchId: at.batchId, txHash: at.txHash, block: at.block })
        },
        onExcluded: (ids, at) => {
          index.removeBatch(BigInt(at.batchId), at.txHash)
          aheadOfLogs.delete(at.txHash)
          indexChanged = true
          emit({ type: 'unanchored', ids, batchId: at.batchId, txHash: at.txHash, block: at.block })
        },
        onFinalBlock: (block) => {
          const moved = index.finalBlock !== block
          index.finalBlock = block
          // Rounds run only while something is pending or in flight, so this is one small event per block then.
          if (moved && 'confirmations' in finality && finality.confirmations > 0 && listeners.size > 0) emit({ type: 'confirmations', finalBlock: block.toString() })
        },
        onQuarantined: async (id, reason) => {
          await outbox!.appendJournal({ t: 'quarantined', id, reason })
          quarantined.set(id, reason)
          emit({ type: 'quarantined', ids: [id], reason })
        },
        inflight: opened.state.inflight,
        pending,
        intervalMs: o.batchIntervalMs,
        maxBatch: o.maxBatch,
        maxTxBytes: o.maxTxBytes,
        maxTxGas: o.maxTxGas,
        maxInflight: o.maxInflight,
        finality: o.finality,
        fees: o.fees,
        receiptTimeoutMs: o.receiptTimeoutMs,
      })
      running = true
      loop.start()
      log.info({ records: opened.state.records.length, pending: pending.length, inflight: inflightIds.size }, 'anomaly ledger started')
    },

    async stop() {
      if (!running) return
      running = false
      await loop?.stop()
      // One last round so the snapshot covers the batches just anchored (an RPC outage only skips it);
      // syncNow starts it after any round in flight, which may have read the chain before the last batch.
      await sync?.syncNow().catch(() => undefined)
      await sync?.stop()
      if (snapshotTimer) clearInterval(snapshotTimer)
      persistIndex()
      await outbox?.close()
      unlock?.()
    },

    async accept(input) {
      requireRunning()
      const record: AnomalyRecord = { id: nextId(), ...parseAnomalyInput(input) }
      await outbox!.appendRecord(record)
      index.addLocal(record)
      loop!.enqueue(record.id)
      if (listeners.size > 0) emit({ type: 'accepted', item: index.get(record.id)! })
      return { id: record.id }
    },

    get(id) {
      const item = index.get(id)
      return item && withLedgerState(item)
    },

    // The same statuses as get(): a quarantined record is not listed as pending.
    list(query) {
      const page = index.list(query)
      return { ...page, items: page.items.map(withLedgerState) }
    },

    proof: (id) => index.proof(id),

    async verify(recordOrId) {
      const id = typeof recordOrId === 'string' ? recordOrId : String((recordOrId as { id?: unknown })?.id)
      if (!index.has(id)) throw new AnomalyNotFoundError(id)
      let record: AnomalyRecord
      try {
        record = typeof recordOrId === 'string' ? index.record(id)! : parseAnomalyRecord(recordOrId)
      } catch {
        // A copy that is not even a well-formed record cannot be the anchored one.
        return index.isAnchored(id) ? 'INVALID' : 'PENDING'
      }
      const v = await verifyRecord(index, record, { publicClient: o.conn.publicClient, anomalyStore: o.address })
      return v.verdict
    },

    stats() {
      const s = loop?.stats()
      return {
        outboxDepth: (s?.pending ?? 0) + (s?.inflight ?? 0),
        inflight: s?.inflight ?? 0,
        anchored: index.anchored,
        batches: index.batchCount,
        duplicates: index.duplicates,
        quarantined: quarantined.size,
        lastError: s?.lastError,
        lastErrorCode: s?.lastErrorCode,
        chain: sync?.lag() ?? { behindBlocks: 0, lastSyncedBlock: undefined, lastSeenHead: undefined, sinceMs: Infinity, healthy: false },
      }
    },

    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    async flush() {
      requireRunning()
      // Again while anything is left: a round that was ending when flush() joined it may have missed the last accepts.
      do await loop!.runOnce()
      while (loop!.stats().pending + loop!.stats().inflight > 0)
    },
  }
}

