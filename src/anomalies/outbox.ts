import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Hash, Hex } from 'viem'
import { AppendLog, fsyncDir } from './appendLog.js'
import type { AnomalyRecord } from './record.js'

/**
 * A batch signed and journaled (maybe broadcast). `raw`, the signed bytes a restart re-broadcasts,
 * lives in its own file (inflight/<txHash>.tx) until the batch is resolved, so the journal stays
 * small: a 1,000-record transaction is 400 kB.
 */
export interface SentBatch {
  t: 'sent'
  txHash: Hash
  nonce: number
  raw: Hex
  root: Hex
  ids: string[]
}

/**
 * Another signed transaction for the same batch and nonce (a fee replacement). Its bytes live in
 * inflight/<newHash>.tx; whichever of the batch's transactions is mined is the batch's.
 */
export interface ReplacedTx {
  t: 'replaced'
  /** The batch (its first transaction's hash). */
  txHash: Hash
  newHash: Hash
  raw?: Hex
}

/** A transaction of the batch was mined in a block not yet final; the batch keeps its signed bytes. */
export interface IncludedBatch {
  t: 'included'
  /** The batch (its first transaction's hash). */
  txHash: Hash
  /** The transaction mined. */
  minedHash: Hash
  batchId: string
  block: string
  blockHash: Hex
}

/** An included batch's block left the chain before it was final (a reorganisation): in flight again. */
export interface ExcludedBatch {
  t: 'excluded'
  txHash: Hash
}

/** A sent batch mined in a final block (ids are repeated here only after compaction). */
export interface ConfirmedBatch {
  t: 'confirmed'
  /** The transaction mined (a replacement's hash when one was mined). */
  txHash: Hash
  /** The batch's first transaction hash, when another one was mined. */
  batch?: Hash
  batchId: string
  block: string
  /** Hash of that block, to prove later that the chain still holds it. */
  blockHash?: Hex
  ids?: string[]
}

/** A confirmed batch whose block is no longer on the chain (rewound or replaced): its ids are pending again. */
export interface LostBatch {
  t: 'lost'
  txHash: Hash
}

/** A sent batch that can never land (its nonce was used by another transaction); its ids are pending again. */
export interface DroppedBatch {
  t: 'dropped'
  txHash: Hash
  reason: string
}

/** A record that can never be anchored (no transaction the node accepts can hold it); it stays out of every batch. */
export interface QuarantinedRecord {
  t: 'quarantined'
  id: string
  reason: string
}

export type JournalEntry = SentBatch | ReplacedTx | IncludedBatch | ExcludedBatch | ConfirmedBatch | DroppedBatch | LostBatch | QuarantinedRecord

/** An in-flight batch after replay: every transaction signed for it, and where it is mined if it is. */
export interface InflightBatch extends SentBatch {
  /** Hashes of every transaction of the batch (the first is `txHash`), oldest first. */
  hashes: Hash[]
  /** Signed bytes by hash. */
  raws: Map<Hash, Hex>
  included?: Omit<IncludedBatch, 't' | 'txHash'>
}

/** Where an id was anchored, per the journal. */
export interface Anchoring {
  batchId: string
  txHash: Hash
  block: string
  blockHash?: Hex
}

/** What the outbox holds after a (re)start. */
export interface OutboxState {
  /** Every accepted record, in acceptance order. */
  records: AnomalyRecord[]
  /** Batches sent but neither final nor dropped, with every transaction signed for them. */
  inflight: InflightBatch[]
  /** Ids the journal knows as anchored. */
  anchored: Map<string, Anchoring>
  /** Ids that can never be anchored, with why. */
  quarantined: Map<string, string>
}

/**
 * The ledger's durable local store in `dataDir`: `anomalies.jsonl` (every accepted record,
 * fsync'd before accept() answers) and `anchor-journal.jsonl` (batches sent / confirmed /
 * dropped), from which a restart, even after kill -9, knows exactly what is not yet on chain.
 */
export class Outbox {
  private constructor(
    private records: AppendLog,
    private journal: AppendLog,
    private inflightDir: string,
  ) {}

  /** Opens (creating) the outbox; compacts the journal when it holds resolved batches. */
  static async open(dataDir: string): Promise<{ outbox: Outbox; state: OutboxState }> {
    const recordsPath = join(dataDir, 'anomalies.jsonl')
    const journalPath = join(dataDir, 'anchor-journal.jsonl')
    const { log: records, values } = await AppendLog.open<AnomalyRecord>(recordsPath)
    const { log: journal, values: entries } = await AppendLog.open<JournalEntry>(journalPath)
    const state = replayJournal(entries)
    const resolvedSent = entries.some((e) => e.t === 'sent') && entries.length > state.inflight.length
    let journalLog = journal
    if (resolvedSent) {
      await journal.close()
      rewrite(journalPath, compacted(state))
      journalLog = (await AppendLog.open<JournalEntry>(journalPath)).log
    }
    const seen = new Set<string>()
    const unique = values.filter((r) => r && typeof r.id === 'string' && !seen.has(r.id) && seen.add(r.id))
    const inflightDir = join(dataDir, 'inflight')
    if (!existsSync(inflightDir)) {
      mkdirSync(inflightDir, { recursive: true })
      fsyncDir(dataDir)
    }
    const outbox = new Outbox(records, journalLog, inflightDir)
    for (const b of state.inflight) {
      for (const h of b.hashes) {
        const raw = outbox.readRawTx(h)
        if (raw) b.raws.set(h, raw)
      }
      b.raw = b.raws.get(b.txHash)!
      // A replacement journaled but whose bytes never reached the disk was never sent.
      b.hashes = b.hashes.filter((h) => b.raws.has(h))
    }
    // Signed bytes of resolved batches (a crash after the journal said so, before the delete).
    const keep = new Set(state.inflight.flatMap((b) => b.hashes.map((h) => `${h}.tx`)))
    for (const f of readdirSync(inflightDir)) if (!keep.has(f)) rmSync(join(inflightDir, f), { force: true })
    return { outbox, state: { records: unique, inflight: state.inflight.filter((b) => b.raw), anchored: state.anchored, quarantined: state.quarantined } }
  }

  /** Stores a signed transaction durably, before the journal names it. */
  saveRawTx(txHash: Hash, raw: Hex): void {
    const path = join(this.inflightDir, `${txHash}.tx`)
    writeFileSync(path, raw, { mode: 0o600 })
    const fd = openSync(path, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    // The new name too: the journal will name this file, so it must survive a power cut with it.
    fsyncDir(this.inflightDir)
  }

  readRawTx(txHash: Hash): Hex | undefined {
    const path = join(this.inflightDir, `${txHash}.tx`)
    return existsSync(path) ? (readFileSync(path, 'utf8').trim() as Hex) : undefined
  }

  /** Forgets a resolved batch's signed bytes. */
  removeRawTx(txHash: Hash): void {
    rmSync(join(this.inflightDir, `${txHash}.tx`), { force: true })
  }

  /** Appends an accepted record; resolves once it is on disk (group commit). */
  appendRecord(record: AnomalyRecord): Promise<void> {
    return this.records.append(record)
  }

  /** Appends a journal entry (signed bytes stay in their own files); resolves once it is on disk. */
  appendJournal(entry: JournalEntry): Promise<void> {
    if (entry.t === 'sent') {
      const { raw: _raw, ...rest } = entry as InflightBatch
      return this.journal.append({ t: rest.t, txHash: rest.txHash, nonce: rest.nonce, root: rest.root, ids: rest.ids })
    }
    if (entry.t === 'replaced') {
      const { raw: _raw, ...rest } = entry
      return this.journal.append(rest)
    }
    return this.journal.append(entry)
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.records.close(), this.journal.close()])
  }
}

/** Folds journal entries into in-flight batches, anchored ids and quarantined ids. */
export function replayJournal(entries: JournalEntry[]): { inflight: InflightBatch[]; anchored: Map<string, Anchoring>; quarantined: Map<string, string> } {
  const sent = new Map<string, InflightBatch>()
  const anchored = new Map<string, Anchoring>()
  const quarantined = new Map<string, string>()
  for (const e of entries) {
    if (e.t === 'quarantined') quarantined.set(e.id, e.reason)
    else if (e.t === 'sent') sent.set(e.txHash, { ...e, hashes: [e.txHash], raws: new Map() })
    else if (e.t === 'replaced') sent.get(e.txHash)?.hashes.push(e.newHash)
    else if (e.t === 'included') {
      const b = sent.get(e.txHash)
      if (b) b.included = { minedHash: e.minedHash, batchId: e.batchId, block: e.block, blockHash: e.blockHash }
    } else if (e.t === 'excluded') {
      const b = sent.get(e.txHash)
      if (b) b.included = undefined
    } else if (e.t === 'confirmed') {
      const key = e.batch ?? e.txHash
      const ids = e.ids ?? sent.get(key)?.ids ?? []
      for (const id of ids) if (!anchored.has(id)) anchored.set(id, { batchId: e.batchId, txHash: e.txHash, block: e.block, blockHash: e.blockHash })
      sent.delete(key)
    } else if (e.t === 'dropped') sent.delete(e.txHash)
    else if (e.t === 'lost') for (const [id, a] of anchored) if (a.txHash === e.txHash) anchored.delete(id)
  }
  return { inflight: [...sent.values()], anchored, quarantined }
}

function compacted(state: { inflight: InflightBatch[]; anchored: Map<string, Anchoring>; quarantined: Map<string, string> }): unknown[] {
  const byTx = new Map<string, ConfirmedBatch>()
  for (const [id, a] of state.anchored) {
    let c = byTx.get(a.txHash)
    if (!c) byTx.set(a.txHash, (c = { t: 'confirmed', txHash: a.txHash, batchId: a.batchId, block: a.block, blockHash: a.blockHash, ids: [] }))
    c.ids!.push(id)
  }
  const quarantined = [...state.quarantined].map(([id, reason]) => ({ t: 'quarantined', id, reason }))
  const inflight = state.inflight.flatMap((b) => [
    { t: 'sent', txHash: b.txHash, nonce: b.nonce, root: b.root, ids: b.ids },
    ...b.hashes.slice(1).map((newHash) => ({ t: 'replaced', txHash: b.txHash, newHash })),
    ...(b.included ? [{ t: 'included', txHash: b.txHash, ...b.included }] : []),
  ])
  return [...byTx.values(), ...quarantined, ...inflight]
}

/** Replaces a file atomically and durably (temp file, fsync, rename, fsync of the directory). */
function rewrite(path: string, entries: unknown[]): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, entries.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 })
  const fd = openSync(tmp, 'r')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, path)
  const dir = openSync(join(path, '..'), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
