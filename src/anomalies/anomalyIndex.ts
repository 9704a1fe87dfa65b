import type { Address, Hash, Hex } from 'viem'
import { InvalidInputError } from '../chain/records/validate.js'
import type { BatchEvent } from '../chain/anomalies/fetchBatchEvents.js'
import { buildTree, decodeRecords, type BatchTree } from './merkle.js'
import { parseTimestamp, toIsoTime, type AnomalyRecord } from './record.js'
import { SortedRun } from './sortedRun.js'

/**
 * pending: accepted, not yet in a mined batch; included: in a BatchAnchored event of a block not
 * yet final (a reorganisation may still undo it); anchored: in a final block; quarantined:
 * accepted but too big for any transaction the node accepts (see `error`).
 */
export type AnomalyStatus = 'pending' | 'included' | 'anchored' | 'quarantined'

/** An anomaly as list() and get() serve it. */
export interface AnomalyItem {
  id: string
  endpoint: string
  level: number
  data: unknown
  /** Time of collection, ISO 8601. */
  timestamp: string
  /** The same, seconds since the epoch. */
  collectedAt: number
  status: AnomalyStatus
  /** Why a quarantined record cannot be anchored. */
  error?: string
  /** Of an included record, when finality is N confirmations: blocks still to be mined over it before it is final. */
  confirmationsToGo?: number
  batchId?: string
  txHash?: string
  block?: string
}

/** Filters and page of list(); times are ISO 8601 or seconds, bounds inclusive. */
export interface ListQuery {
  endpoint?: string
  from?: string | number
  to?: string | number
  /** 1-1000, default 100. */
  limit?: number | string
  /** `next` of the previous page. */
  cursor?: string
}

/** One page: `next` is set when more items match. */
export interface ListPage {
  items: AnomalyItem[]
  next?: string
}

/** Where a record sits on chain, and its inclusion proof. */
export interface AnomalyProof {
  batchId: string
  root: Hex
  proof: Hex[]
  /** The record's position in its batch. */
  index: number
}

/** A batch as indexed from its BatchAnchored event. */
export interface IndexedBatch {
  batchId: bigint
  root: Hex
  count: number
  blockTime: bigint
  poster: Address
  block: bigint
  txHash: Hash
  records: AnomalyRecord[]
  tree?: BatchTree
}

interface Entry {
  id: string
  collectedAt: number
  record: AnomalyRecord
  local: boolean
  batch?: IndexedBatch
  index?: number
}

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

/**
 * Every anomaly known to one process, in memory: the ledger's own (from its outbox, pending until
 * anchored) and everything anchored on chain (from BatchAnchored events). Sorted by collection
 * time so a time-range page is a binary search plus a short walk.
 */
export class AnomalyIndex {
  private byId = new Map<string, Entry>()
  private all = new SortedRun<Entry>()
  private byEndpoint = new Map<string, SortedRun<Entry>>()
  private batches = new Map<bigint, IndexedBatch>()
  /** Records whose id an earlier batch had already anchored (should stay 0: exactly once). */
  duplicates = 0
  /** Batches whose records could not be decoded. */
  malformedBatches = 0
  anchored = 0
  /** Highest final block (undefined: every indexed block counts as final). Batches above it are 'included'. */
  finalBlock: bigint | undefined

  /** Adds a record this process accepted (pending until a batch holding its id is applied). */
  addLocal(record: AnomalyRecord): void {
    const known = this.byId.get(record.id)
    if (known) {
      // The local store's copy wins, so a copy altered there is what verify() checks.
      if (!known.local) {
        known.record = record
        known.local = true
      }
      return
    }
    this.insert({ id: record.id, collectedAt: record.collectedAt, record, local: true })
  }

  /**
   * Applies one BatchAnchored event; returns the ids it anchored for the first time. `known` (the
   * records and tree the ledger itself encoded into this very event) saves decoding them again.
   */
  applyBatch(ev: BatchEvent, known?: { records: AnomalyRecord[]; tree?: BatchTree }): string[] {
    if (this.batches.has(ev.batchId)) return []
    const records = known?.records ?? decodeRecords(ev.records)
    if (!records) {
      this.malformedBatches++
      return []
    }
    const batch: IndexedBatch = { ...ev, records, tree: known?.tree }
    this.batches.set(ev.batchId, batch)
    const fresh: string[] = []
    records.forEach((record, index) => {
      const entry = this.byId.get(record.id)
      if (entry?.batch) {
        this.duplicates++
        return
      }
      if (entry) Object.assign(entry, { batch, index })
      else this.insert({ id: record.id, collectedAt: record.collectedAt, record, local: false, batch, index })
      this.anchored++
      fresh.push(record.id)
    })
    return fresh
  }

  /** Forgets one batch (a reorganisation removed its block); returns the ids it had anchored. */
  removeBatch(batchId: bigint, txHash?: string): string[] {
    const batch = this.batches.get(batchId)
    if (!batch || (txHash && batch.txHash.toLowerCase() !== txHash.toLowerCase())) return []
    this.batches.delete(batchId)
    const gone: string[] = []
    const chainOnly = new Set<Entry>()
    for (const record of batch.records) {
      const e = this.byId.get(record.id)
      if (!e || e.batch !== batch) continue
      e.batch = undefined
      e.index = undefined
      this.anchored--
      gone.push(record.id)
      if (!e.local) {
        this.byId.delete(record.id)
        chainOnly.add(e)
      }
    }
    if (chainOnly.size > 0) {
      this.all.remove((x) => chainOnly.has(x))
      for (const run of this.byEndpoint.values()) run.remove((x) => chainOnly.has(x))
    }
    return gone
  }

  /** Forgets everything learnt from the chain (after a reorganisation or a replaced chain). */
  resetChain(): void {
    this.batches.clear()
    this.duplicates = 0
    this.malformedBatches = 0
    this.anchored = 0
    for (const [id, e] of this.byId) {
      e.batch = undefined
      e.index = undefined
      if (!e.local) this.byId.delete(id)
    }
    const chainOnly = (e: Entry) => !this.byId.has(e.id)
    this.all.remove(chainOnly)
    for (const run of this.byEndpoint.values()) run.remove(chainOnly)
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  isAnchored(id: string): boolean {
    return this.byId.get(id)?.batch !== undefined
  }

  /** The stored record (the local copy when there is one). */
  record(id: string): AnomalyRecord | undefined {
    return this.byId.get(id)?.record
  }

  get(id: string): AnomalyItem | undefined {
    const e = this.byId.get(id)
    return e && toItem(e, this.finalBlock)
  }

  /** Every indexed batch, in batch id order (for the snapshot). */
  allBatches(): IndexedBatch[] {
    return [...this.batches.values()].sort((a, b) => (a.batchId < b.batchId ? -1 : 1))
  }

  /** The batch with id `batchId`, if indexed. */
  batch(batchId: bigint): IndexedBatch | undefined {
    return this.batches.get(batchId)
  }

  get batchCount(): number {
    return this.batches.size
  }

  get size(): number {
    return this.byId.size
  }

  /** Inclusion proof of an anchored record (built from the batch's records as the chain has them). */
  proof(id: string): AnomalyProof | undefined {
    const e = this.byId.get(id)
    if (!e?.batch || e.index === undefined) return undefined
    // Trees are built on demand and kept: a batch's first proof pays for the whole tree.
    e.batch.tree ??= buildTree(e.batch.records)
    return { batchId: e.batch.batchId.toString(), root: e.batch.root, proof: e.batch.tree.proof(e.index), index: e.index }
  }

  /** A page of anomalies in (collectedAt, id) order, filtered by endpoint and time range. */
  list(q: ListQuery = {}): ListPage {
    const limit = parseLimit(q.limit)
    const from = q.from === undefined || q.from === '' ? undefined : parseTimestamp(q.from, 'from')
    const to = q.to === undefined || q.to === '' ? undefined : parseTimestamp(q.to, 'to')
    const run = q.endpoint === undefined || q.endpoint === '' ? this.all : this.byEndpoint.get(q.endpoint)
    if (!run) return { items: [] }
    const items = run.items()
    let start = from === undefined ? 0 : SortedRun.lowerBound(items, { collectedAt: from, id: '' }, true)
    if (q.cursor !== undefined && q.cursor !== '') start = Math.max(start, SortedRun.lowerBound(items, decodeCursor(q.cursor), false))
    const out: AnomalyItem[] = []
    let i = start
    for (; i < items.length && out.length < limit; i++) {
      if (to !== undefined && items[i].collectedAt > to) break
      out.push(toItem(items[i], this.finalBlock))
    }
    const more = i < items.length && (to === undefined || items[i].collectedAt <= to)
    return more ? { items: out, next: encodeCursor(items[i - 1]) } : { items: out }
  }

  private insert(e: Entry): void {
    this.byId.set(e.id, e)
    this.all.add(e)
    let run = this.byEndpoint.get(e.record.endpoint)
    if (!run) this.byEndpoint.set(e.record.endpoint, (run = new SortedRun<Entry>()))
    run.add(e)
  }
}

function toItem(e: Entry, finalBlock: bigint | undefined): AnomalyItem {
  const r = e.record
  const item: AnomalyItem = {
    id: r.id,
    endpoint: r.endpoint,
    level: r.level,
    data: r.data,
    timestamp: toIsoTime(r.collectedAt),
    collectedAt: r.collectedAt,
    status: !e.batch ? 'pending' : finalBlock !== undefined && e.batch.block > finalBlock ? 'included' : 'anchored',
  }
  if (e.batch) Object.assign(item, { batchId: e.batch.batchId.toString(), txHash: e.batch.txHash, block: e.batch.block.toString() })
  return item
}

/** Parses a page size (1-MAX_LIMIT; default DEFAULT_LIMIT), as the CLI and the API take it. */
export function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new InvalidInputError(`limit must be an integer 1-${MAX_LIMIT}, not ${JSON.stringify(value)}`)
  }
  return n
}

function encodeCursor(e: Entry): string {
  return Buffer.from(JSON.stringify([e.collectedAt, e.id])).toString('base64url')
}

function decodeCursor(cursor: string): { collectedAt: number; id: string } {
  try {
    const [collectedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof collectedAt === 'number' && Number.isFinite(collectedAt) && typeof id === 'string') return { collectedAt, id }
  } catch {
    // fall through
  }
  throw new InvalidInputError('cursor is not one this server handed out')
}
