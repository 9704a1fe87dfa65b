import { signTransactionFast } from '../chain/signTransactionFast.js'
import { parseTransaction, type Address, type Hash, type Hex, type TransactionReceipt } from 'viem'
import { decodeBatchEvents, type BatchEvent } from '../chain/anomalies/fetchBatchEvents.js'
import { GasCapExceededError, signAnchorBatch } from '../chain/anomalies/signAnchorBatch.js'
import type { ChainConnection } from '../chain/connectChain.js'
import { feePolicyOf, initialFees, InsufficientFundsError, replacementFees, stuckOnFees, type FeePolicy, type Fees } from '../chain/fees.js'
import { toChainError } from '../chain/toChainError.js'
import { classifyTxError, errorText } from '../chain/txErrors.js'
import type { LwchainError } from '../errors/base.js'
import type { Logger } from '../logger.js'
import { DEFAULT_MAX_RECORDS, DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TX_GAS, encodedRecordBytes, rawTxBytes, recordBudget, txBytesFor } from './batchSize.js'
import { AnomalyStoreMissingError } from './errors.js'
import { IdQueue } from './idQueue.js'
import { buildBatch, type BuiltBatch } from './merkle.js'
import type { Anchoring, InflightBatch, Outbox, SentBatch } from './outbox.js'
import type { AnomalyRecord } from './record.js'

/** When a block counts as final: the node's `finalized` (or `safe`) tag, or N blocks under the head. */
export type Finality = { tag: 'finalized' | 'safe' } | { confirmations: number }

/** The finality a ledger uses when none is configured: 0 confirmations on anvil's chain id 31337 (automine), else `finalized`. */
export function resolveFinality(finality: Finality | undefined, chainId: number): Finality {
  return finality ?? (chainId === 31337 ? { confirmations: 0 } : { tag: 'finalized' })
}

export interface AnchorLoopOptions {
  conn: ChainConnection
  anomalyStore: Address
  outbox: Outbox
  logger: Logger
  /** The accepted record with this id. */
  recordOf: (id: string) => AnomalyRecord | undefined
  /** Whether the id is anchored (journal or chain). */
  isAnchored: (id: string) => boolean
  /** Brings the chain index up to date (BatchAnchored events); rejects when the RPC is down. */
  syncChain: () => Promise<void>
  /**
   * A batch of ours was mined (not yet final): its ids, where, its event, (when built in this
   * process) its tree, and the highest final block as this round sees it.
   */
  onIncluded: (ids: string[], at: Anchoring, event: BatchEvent | undefined, built: BuiltBatch | undefined, final: bigint) => void
  /** A batch of ours is final: from here it is never undone. */
  onFinal: (ids: string[], at: Anchoring) => void
  /** A mined batch of ours left the chain before it was final (a reorganisation); it is in flight again. */
  onExcluded: (ids: string[], at: Anchoring) => void
  /** Each round: the highest final block. */
  onFinalBlock?: (block: bigint) => void
  /** A record that can never be anchored (too big for any transaction): journal it and report it. */
  onQuarantined: (id: string, reason: string) => Promise<void>
  /** Batches sent before a restart and not known to be final. */
  inflight: InflightBatch[]
  /** Ids not anchored at start, in acceptance order. */
  pending: string[]
  /** Pause between rounds. Default 1,000 ms. */
  intervalMs?: number
  /** Records per batch at most. Default 1,000. */
  maxBatch?: number
  /** Signed transaction bytes at most (geth-class txpools refuse over 128 KiB). Default 120 KiB. */
  maxTxBytes?: number
  /** Gas per transaction at most. Default 15,000,000. */
  maxTxGas?: bigint
  /** Transactions in flight at most (mined but not final ones included). Default 64. */
  maxInflight?: number
  /** Default: 0 confirmations on anvil's chain id 31337, the `finalized` tag elsewhere. */
  finality?: Finality
  fees?: Partial<FeePolicy>
  /** How long runOnce() waits for the receipts of what it sent before returning. Default 60 s. */
  receiptTimeoutMs?: number
}

/** The anchoring loop: batches pending records into anchorBatch transactions, exactly once. */
export interface AnchorLoop {
  start(): void
  /** Stops after the current step (in-flight transactions stay journaled for the next start). */
  stop(): Promise<void>
  /** Queues an accepted id; starts a round early once a full batch is waiting. */
  enqueue(id: string): void
  /** Puts ids back at the front of the queue (their batch is no longer on chain). */
  requeue(ids: string[]): void
  /** Runs a round now (tests, shutdown flush); rejects when it fails. */
  runOnce(): Promise<void>
  stats(): { pending: number; inflight: number; sentBatches: number; lastError?: string; lastErrorCode?: string }
}

const MAX_BACKOFF_MS = 15_000

/** What a round read of the chain before it looked at the batches in flight. */
interface Seen {
  head: bigint
  /** The highest final block. */
  final: bigint
  /** The account's nonce at the head: the lowest nonce not yet used on chain. */
  chainNonce: number
  /** The head's base fee per gas. */
  baseFee: bigint
}

/** A batch in flight, as the loop tracks it. */
interface Flight extends InflightBatch {
  fees?: Fees
  /** Head when its newest transaction was broadcast (undefined: not yet this run). */
  sentAt?: bigint
}

/**
 * Creates the loop. Exactly once rests on these rules:
 * - a batch is journaled (with its signed bytes) before it is broadcast;
 * - every transaction signed for a batch (one nonce; fee replacements share it) is kept, bytes
 *   and all, until one of them is mined in a final block: a reorganisation that removes it is met
 *   by re-broadcasting the very same bytes, never by a new batch;
 * - ids go back to pending only when the batch's nonce is used in a final block by a transaction
 *   not ours, and the chain's BatchAnchored events do not hold them.
 * Up to `maxInflight` batches are in flight at once, with consecutive nonces, so a chain with
 * 12 s blocks takes many batches per block.
 */
export function createAnchorLoop(o: AnchorLoopOptions): AnchorLoop {
  const intervalMs = o.intervalMs ?? 1_000
  const maxBatch = o.maxBatch ?? DEFAULT_MAX_RECORDS
  const maxTxBytes = o.maxTxBytes ?? DEFAULT_MAX_TX_BYTES
  const maxTxGas = o.maxTxGas ?? DEFAULT_MAX_TX_GAS
  const maxInflight = o.maxInflight ?? 64
  const receiptTimeoutMs = o.receiptTimeoutMs ?? 60_000
  const policy = feePolicyOf(o.fees)
  const finality = resolveFinality(o.finality, o.conn.chainId)
  const log = o.logger
  const client = o.conn.publicClient
  const pending = new IdQueue(o.pending)
  const inflight: Flight[] = [...o.inflight].sort((a, b) => a.nonce - b.nonce)
  // Learned limits: the node's own size limit when it refused a transaction as oversized (never
  // grows back: a node's limit does not change), and a record count that halves when a batch
  // needs more gas than allowed and doubles back after each batch that lands.
  let byteCap = maxTxBytes
  let countCap = maxBatch
  let running = false
  let stopping = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined
  let current: Promise<void> | undefined
  let failures = 0
  let lastError: LwchainError | undefined
  let sentBatches = 0
  // The gas estimate of the largest batch so far (records and bytes), reused as the limit of any
  // batch no larger: anchorBatch's gas grows with both, and an estimate runs the transaction over
  // and over (on anvil 30 ms of a 33 ms batch at 5,000 anomalies/s). A revert clears it, so the
  // next batch is estimated again and a cause (a lost role, say) surfaces as its typed error.
  let gasCeiling: { records: number; bytes: number; gas: bigint } | undefined
  // Bytes of the records enqueued since the last round began. A full batch goes without waiting
  // for the interval: by count or, for large records, by bytes (120 KiB holds about 320 records;
  // sent two at a time each interval, each took a block of its own on anvil).
  let freshBytes = 0
  // countCap never exceeds maxBatch (it halves, and doubles back up to maxBatch).
  const batchWaiting = (): boolean => pending.length >= countCap || freshBytes > recordBudget(byteCap)
  /** Ids ever taken off `pending` by sendNext: a round sends what was due when it began. */
  let takenTotal = 0
  const builtBy = new Map<string, BuiltBatch>()
  // Whether AnomalyStore's code was seen at the address (checked once, and again after a batch without its event).
  let storeChecked = false
  let signing = 0
  /** Next nonce to sign with (undefined: ask the node); nonces freed by refused batches are reused first. */
  let nextNonce: number | undefined
  const freeNonces: number[] = []
  // Nothing about a batch in flight changes between blocks (receipts, finality, being stuck),
  // except after a broadcast: look again only then, at a new head (by hash: a reorg can replace
  // the head at the same height), or every 5 s anyway (a pool may drop a transaction meanwhile).
  let checkedHead: Hex | undefined
  let checkedAt = 0
  let recheck = true
  // Nonces under our newest in flight that no transaction of ours holds and the chain has not
  // used, with the head each was first seen at (see fillHoles).
  const holes = new Map<number, bigint>()

  const getReceipt = async (hash: Hash): Promise<TransactionReceipt | undefined> => {
    try {
      return await client.getTransactionReceipt({ hash })
    } catch (err) {
      if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return undefined
      throw err
    }
  }
  const receiptOf = async (b: Flight): Promise<TransactionReceipt | undefined> => {
    for (const h of [...b.hashes].reverse()) {
      const r = await getReceipt(h)
      if (r && r.transactionHash.toLowerCase() === h.toLowerCase()) return r
    }
    return undefined
  }
  const finalBlock = async (head: bigint): Promise<bigint> => {
    if ('confirmations' in finality) return head - BigInt(finality.confirmations)
    const b = await client.getBlock({ blockTag: finality.tag })
    return b.number ?? -1n
  }

  /** The newest transaction's fee ceiling (after a restart only its bytes have it: read once). */
  const maxFeeOf = (b: Flight): bigint => {
    if (!b.fees) {
      const tx = parseTransaction(b.raws.get(b.hashes[b.hashes.length - 1])!)
      b.fees = { maxFeePerGas: tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
    }
    return b.fees.maxFeePerGas
  }

  const settle = (b: Flight): void => {
    const i = inflight.indexOf(b)
    if (i >= 0) inflight.splice(i, 1)
    for (const h of b.hashes) o.outbox.removeRawTx(h)
    builtBy.delete(b.txHash)
  }

  const quarantine = async (id: string, reason: string): Promise<void> => {
    await o.onQuarantined(id, reason)
    log.error({ id, reason }, `anomaly ${id} can never be anchored and is quarantined: ${reason}`)
  }

  /** Gives a batch up: its nonce is free again (`nonceFree`) or used by another transaction. */
  const drop = async (b: Flight, reason: string, opts: { requeue?: boolean; nonceFree?: boolean } = {}): Promise<void> => {
    // Before anything goes back to pending, ask the chain: a batch of ours may hold these ids
    // even if this transaction's receipt is unknown (e.g. a chain restored from a state dump).
    await o.syncChain()
    await o.outbox.appendJournal({ t: 'dropped', txHash: b.txHash, reason })
    settle(b)
    if (opts.nonceFree) freeNonces.push(b.nonce)
    const back = opts.requeue === false ? [] : b.ids.filter((id) => !o.isAnchored(id))
    pending.unshift(back)
    log.warn({ txHash: b.txHash, reason, requeued: back.length }, 'anomaly batch dropped; records queued again')
  }

  const anchoringOf = (b: Flight, r: TransactionReceipt, event: BatchEvent): Anchoring => ({
    batchId: event.batchId.toString(),
    txHash: r.transactionHash,
    block: r.blockNumber.toString(),
    blockHash: r.blockHash,
  })

  /** Broadcasts the batch's newest transaction; classifies a refusal. */
  const broadcast = async (b: Flight, head: bigint | undefined): Promise<'ok' | 'nonce-used' | 'underpriced' | 'dropped'> => {
    // Whatever the answer, look at it again without waiting for the next block.
    recheck = true
    const hash = b.hashes[b.hashes.length - 1]
    const raw = b.raws.get(hash)!
    try {
      await client.sendRawTransaction({ serializedTransaction: raw })
      b.sentAt = head
      return 'ok'
    } catch (err) {
      const kind = classifyTxError(err)
      if (kind === 'already-known') {
        b.sentAt ??= head
        return 'ok'
      }
      if (kind === 'nonce-too-low') return 'nonce-used'
      if (kind === 'underpriced' || kind === 'fee-too-low') return 'underpriced'
      if (kind === 'insufficient-funds') throw new InsufficientFundsError(o.conn.account!.address)
      if (kind === 'oversized') {
        // The pool refused it whole: it never entered, so its nonce is free and its ids can go
        // in smaller batches. The node's limit is below this size: remember that.
        const size = rawTxBytes(raw)
        byteCap = Math.min(byteCap, Math.floor((size * 7) / 8))
        log.warn({ txHash: hash, bytes: size, records: b.ids.length, byteCap }, 'the node refused an anchoring transaction as oversized; splitting it')
        if (b.ids.length === 1) {
          await drop(b, 'oversized', { requeue: false, nonceFree: true })
          await quarantine(b.ids[0], `the node refuses even a transaction of this record alone (${size} bytes): ${errorText(err).split(' | ')[0]}`)
        } else await drop(b, 'oversized', { nonceFree: true })
        return 'dropped'
      }
      throw err
    }
  }

  /** Signs a replacement at +12.5% (at least), journals it, broadcasts it; false when the cap forbids one. */
  const replace = async (b: Flight, head: bigint): Promise<boolean> => {
    const base = (await client.getBlock({ blockTag: 'latest' })).baseFeePerGas ?? 0n
    // The newest transaction is the template (after a restart its fees are only in its bytes).
    const prevTx = parseTransaction(b.raws.get(b.hashes[b.hashes.length - 1])!)
    const prev = b.fees ?? { maxFeePerGas: prevTx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: prevTx.maxPriorityFeePerGas ?? 0n }
    const fees = replacementFees(prev, base, policy)
    if (!fees) return false
    const { raw, hash } = await signTransactionFast(o.conn.account!, { chainId: o.conn.chainId, to: prevTx.to!, data: prevTx.data!, gas: prevTx.gas!, nonce: b.nonce, ...fees })
    o.outbox.saveRawTx(hash, raw)
    await o.outbox.appendJournal({ t: 'replaced', txHash: b.txHash, newHash: hash })
    b.hashes.push(hash)
    b.raws.set(hash, raw)
    b.fees = fees
    const sent = await broadcast(b, head)
    log.info({ nonce: b.nonce, txHash: hash, maxFeePerGas: fees.maxFeePerGas.toString(), result: sent }, 'replaced a stuck anchoring transaction with higher fees')
    return true
  }

  /** One look at a batch in flight: mined (final or not), reorganised away, dropped, stuck. */
  const check = async (b: Flight, seen: Seen): Promise<void> => {
    const r = await receiptOf(b)
    if (r && r.blockNumber > seen.head && 'confirmations' in finality) {
      // Mined after this round read the head: the chain is at least that long, so reckon finality
      // from there, or an included batch would be told one confirmation more to go than it has.
      seen.head = r.blockNumber
      seen.final = r.blockNumber - BigInt(finality.confirmations)
    }
    const { head, final } = seen
    if (r) {
      if (r.status !== 'success') {
        gasCeiling = undefined
        if (r.blockNumber <= final) await drop(b, 'reverted')
        return
      }
      const store = o.anomalyStore.toLowerCase()
      const [event] = decodeBatchEvents(r.logs.filter((l) => l.address.toLowerCase() === store))
      if (!event) {
        // A call to an address without code "succeeds" with no logs (e.g. a fresh chain without the
        // deployment): nothing was anchored, so the records go back to pending.
        storeChecked = false
        await drop(b, 'the transaction emitted no BatchAnchored event')
        throw new AnomalyStoreMissingError(o.anomalyStore)
      }
      const at = anchoringOf(b, r, event)
      if (!b.included || b.included.blockHash !== r.blockHash) {
        b.included = { minedHash: r.transactionHash, batchId: at.batchId, block: at.block, blockHash: r.blockHash }
        await o.outbox.appendJournal({ t: 'included', txHash: b.txHash, ...b.included })
        const built = builtBy.get(b.txHash)
        o.onIncluded(b.ids, at, event, built, final)
        countCap = Math.min(maxBatch, countCap * 2)
      }
      if (r.blockNumber <= final) {
        await o.outbox.appendJournal({ t: 'confirmed', ...at, ...(r.transactionHash !== b.txHash && { batch: b.txHash }) })
        settle(b)
        o.onFinal(b.ids, at)
        log.debug({ batchId: at.batchId, count: b.ids.length, txHash: at.txHash }, 'anomaly batch final')
      }
      return
    }
    if (b.included) {
      // Mined, then its block left the chain: in flight again, with the very same bytes.
      const at: Anchoring = { batchId: b.included.batchId, txHash: b.included.minedHash, block: b.included.block, blockHash: b.included.blockHash }
      b.included = undefined
      b.sentAt = undefined
      await o.outbox.appendJournal({ t: 'excluded', txHash: b.txHash })
      log.warn({ batchId: at.batchId, block: at.block, txHash: at.txHash }, 'an anchored batch left the chain before it was final; sending its transaction again')
      o.onExcluded(b.ids, at)
    }
    // Known to the node (pooled)? Then only a stuck one needs anything.
    const top = b.hashes[b.hashes.length - 1]
    const pooled = b.sentAt !== undefined && (await client.getTransaction({ hash: top }).catch(() => null)) !== null
    const stuck = b.sentAt !== undefined && stuckOnFees({ nonce: b.nonce, maxFeePerGas: maxFeeOf(b), pooled }, { nonce: seen.chainNonce, baseFee: seen.baseFee })
    if (pooled) {
      if (stuck && head >= b.sentAt! + BigInt(policy.bumpAfterBlocks) && !(await replace(b, head))) b.sentAt = head
      return
    }
    if (stuck) {
      // Gone from the pool under the base fee: the same bytes cannot help, a replacement can.
      if (!(await replace(b, head))) b.sentAt = head
      return
    }
    const sent = await broadcast(b, head)
    if (sent === 'underpriced') {
      // A transaction of ours with this nonce is pooled at a higher fee, or the base fee rose past ours.
      if (!(await replace(b, head))) b.sentAt = head
      return
    }
    if (sent !== 'nonce-used') return
    if (await receiptOf(b)) return // mined meanwhile: the next round confirms it
    // The nonce is used, and not by us (as far as this RPC knows). Only once that is final, and
    // the chain's events do not hold the ids, may they go in a new batch.
    const usedFinal = final >= 0n && (await client.getTransactionCount({ address: o.conn.account!.address, blockNumber: final })) > b.nonce
    if (usedFinal) await drop(b, 'its nonce was used by another transaction')
  }

  const takeNonce = async (): Promise<number> => {
    freeNonces.sort((a, b) => a - b)
    if (freeNonces.length > 0) return freeNonces.shift()!
    if (nextNonce === undefined) {
      const fromNode = await client.getTransactionCount({ address: o.conn.account!.address, blockTag: 'pending' })
      const fromFlight = inflight.reduce((n, b) => Math.max(n, b.nonce + 1), 0)
      nextNonce = Math.max(fromNode, fromFlight)
    }
    return nextNonce++
  }

  /** Builds, signs, journals and broadcasts one batch; false when nothing is pending. */
  const sendNext = async (head: bigint | undefined): Promise<boolean> => {
    if (!storeChecked && pending.length > 0) {
      const code = await client.getCode({ address: o.anomalyStore })
      if (!code || code === '0x') throw new AnomalyStoreMissingError(o.anomalyStore)
      storeChecked = true
    }
    const ids: string[] = []
    const records: AnomalyRecord[] = []
    const tooBig: { id: string; bytes: number }[] = []
    const budget = recordBudget(byteCap)
    let bytes = 0
    let taken = 0
    while (taken < pending.length && ids.length < countCap) {
      const id = pending.at(taken)
      const r = o.recordOf(id)
      if (!r || o.isAnchored(id)) {
        taken++
        continue
      }
      const size = encodedRecordBytes(r)
      if (txBytesFor(size) > maxTxBytes) {
        tooBig.push({ id, bytes: txBytesFor(size) })
        taken++
        continue
      }
      // A full batch: the next record goes in the next one (one over the learned cap goes alone).
      if (ids.length > 0 && bytes + size > budget) break
      ids.push(id)
      records.push(r)
      bytes += size
      taken++
      if (bytes > budget) break
    }
    // Off the queue before any await: requeue() may put ids at the front meanwhile. They are
    // counted as `signing` until journaled, so the depth never under-reports.
    pending.shift(taken)
    takenTotal += taken
    for (const t of tooBig) await quarantine(t.id, `its anchoring transaction would be ${t.bytes} bytes, over the ${maxTxBytes}-byte limit`)
    if (ids.length === 0) return tooBig.length > 0
    signing = ids.length
    const built = buildBatch(records)
    let sent: Flight
    let nonce: number | undefined
    try {
      nonce = await takeNonce()
      const covered = gasCeiling && records.length <= gasCeiling.records && bytes <= gasCeiling.bytes ? gasCeiling.gas : undefined
      const signed = await signAnchorBatch(o.conn, { anomalyStore: o.anomalyStore, root: built.root, count: built.count, records: built.encoded, maxGas: maxTxGas, nonce, fees: o.fees, gas: covered })
      if (covered === undefined && (!gasCeiling || (records.length >= gasCeiling.records && bytes >= gasCeiling.bytes))) gasCeiling = { records: records.length, bytes, gas: signed.gas }
      if (rawTxBytes(signed.raw) > byteCap && ids.length > 1) {
        // The envelope estimate was short: send half.
        countCap = Math.max(1, Math.floor(ids.length / 2))
        freeNonces.push(nonce)
        pending.unshift(ids)
        return true
      }
      const entry: SentBatch = { t: 'sent', txHash: signed.txHash, nonce: signed.nonce, raw: signed.raw, root: built.root, ids }
      o.outbox.saveRawTx(signed.txHash, signed.raw)
      await o.outbox.appendJournal(entry)
      sent = { ...entry, hashes: [signed.txHash], raws: new Map<Hash, Hex>([[signed.txHash, signed.raw]]), fees: signed.fees }
    } catch (err) {
      if (nonce !== undefined) freeNonces.push(nonce)
      if (err instanceof GasCapExceededError) {
        if (ids.length === 1) {
          await quarantine(ids[0], err.shortMessage)
          return true
        }
        countCap = Math.max(1, Math.floor(ids.length / 2))
        log.info({ records: ids.length, gas: err.gas.toString(), countCap }, 'anomaly batch over the gas cap; splitting it')
        pending.unshift(ids)
        return true
      }
      pending.unshift(ids)
      throw classifyTxError(err) === 'insufficient-funds' ? new InsufficientFundsError(o.conn.account!.address) : err
    } finally {
      signing = 0
    }
    // Journaled: from here the ids belong to the in-flight batch, whatever happens next.
    inflight.push(sent)
    builtBy.set(sent.txHash, built)
    sentBatches++
    try {
      await broadcast(sent, head)
    } catch (err) {
      // Kept in flight: the next round looks at it again (a 429 or a timeout may hide a success).
      if (err instanceof InsufficientFundsError) throw err
      log.debug({ txHash: sent.txHash, err: errorText(err).split(' | ')[0] }, 'broadcast failed; will check it next round')
    }
    return true
  }

  /**
   * Fills nonces that hold up our batches for good: a nonce under one of ours in flight that no
   * transaction of ours holds and the chain has not used for `bumpAfterBlocks` blocks. A node
   * mines an account's transactions in nonce order only, so ours wait behind such a hole
   * forever. It opens when a reorganisation removes a transaction of another process signing
   * with this key and the node does not take it back (anvil never does; geth re-pools it, but
   * may evict it later). An empty transfer to ourselves closes it; if the lost transaction turns
   * up after all, one of the two is refused as "nonce too low" and nothing is lost.
   */
  const fillHoles = async (seen: Seen): Promise<void> => {
    const ours = new Set(inflight.map((b) => b.nonce))
    const top = inflight.reduce((n, b) => Math.max(n, b.nonce), -1)
    const open: number[] = []
    for (let n = seen.chainNonce; n < top; n++) if (!ours.has(n)) open.push(n)
    for (const n of holes.keys()) if (!open.includes(n)) holes.delete(n)
    for (const n of open) if (!holes.has(n)) holes.set(n, seen.head)
    const due = open.filter((n) => seen.head >= holes.get(n)! + BigInt(policy.bumpAfterBlocks))
    if (due.length === 0) return
    const address = o.conn.account!.address
    const fees = await initialFees(client, policy)
    for (const nonce of due) {
      const raw = await o.conn.account!.signTransaction({ type: 'eip1559', chainId: o.conn.chainId, to: address, value: 0n, gas: 21_000n, nonce, ...fees })
      try {
        await client.sendRawTransaction({ serializedTransaction: raw })
      } catch (err) {
        const kind = classifyTxError(err)
        if (kind === 'insufficient-funds') throw new InsufficientFundsError(address)
        if (kind !== 'nonce-too-low' && kind !== 'already-known') throw err
      }
      holes.set(nonce, seen.head) // looked at again after as many blocks, should it stay open
      const free = freeNonces.indexOf(nonce)
      if (free >= 0) freeNonces.splice(free, 1)
    }
    recheck = true
    log.warn({ nonces: due, chainNonce: seen.chainNonce }, `anchoring was held up by nonce${due.length > 1 ? 's' : ''} ${due.join(', ')}, used by no transaction on chain or of ours; filled with empty transactions`)
  }

  const checkAll = async (): Promise<void> => {
    const latest = await client.getBlock({ blockTag: 'latest' })
    const head = latest.number ?? 0n
    if (latest.hash === checkedHead && !recheck && Date.now() - checkedAt < 5_000) return
    recheck = false
    checkedAt = Date.now()
    const [final, chainNonce] = await Promise.all([
      finalBlock(head),
      inflight.length > 0 ? client.getTransactionCount({ address: o.conn.account!.address, blockTag: 'latest' }) : Promise.resolve(0),
    ])
    const seen: Seen = { head, final, chainNonce, baseFee: latest.baseFeePerGas ?? 0n }
    try {
      for (const b of [...inflight]) await check(b, seen)
      await fillHoles(seen)
    } catch (err) {
      recheck = true
      throw err
    }
    checkedHead = latest.hash ?? undefined
    o.onFinalBlock?.(seen.final)
  }

  const round = async (): Promise<void> => {
    freshBytes = 0
    await checkAll()
    if (inflight.length === 0) {
      // Nothing of ours in flight: the node's count is the truth (a chain rewound or replaced
      // meanwhile would otherwise leave us signing above a gap, stuck in the pool for good).
      nextNonce = undefined
      freeNonces.length = 0
    }
    // Drain what is pending now: a backlog goes out in full batches back to back, with no pause.
    // Records that arrive meanwhile wait for the next round. Otherwise a steady load keeps this
    // loop sending small batches without looking at the ones it sent (seen: 2,000 anomalies/s
    // sent as batches of 39, each anchored 38 blocks after its accept instead of 2).
    const head = await client.getBlockNumber({ cacheTime: 0 }).catch(() => undefined)
    const due = pending.length
    const takenBefore = takenTotal
    const sentBefore = sentBatches
    while (takenTotal - takenBefore < due && inflight.length < maxInflight && !stopping && (await sendNext(head))) {
      // keep going
    }
    // Look at what was just sent now rather than a round later: where a transaction is mined as it
    // is sent (anvil, a fast L2) it is anchored at once, and elsewhere this is the look the next
    // round would have taken (after it, an unchanged head costs one getBlock).
    if (sentBatches > sentBefore && !stopping) await checkAll()
  }

  /** A round, then (when it sent or holds batches) waits until they are final or the wait ends. */
  const roundAndWait = async (): Promise<void> => {
    await round()
    const deadline = Date.now() + receiptTimeoutMs
    for (let delay = 10; inflight.length > 0 && !stopping; delay = Math.min(delay * 2, 250)) {
      await new Promise((res) => setTimeout(res, delay))
      await checkAll()
      if (inflight.length < maxInflight && pending.length > 0) return
      if (Date.now() > deadline) return
    }
  }

  const runOnce = (): Promise<void> => {
    current ??= roundAndWait().finally(() => (current = undefined))
    return current
  }

  const run = async (): Promise<void> => {
    while (running) {
      try {
        if (pending.length > 0 || inflight.length > 0) {
          current ??= round().finally(() => (current = undefined))
          await current
        }
        if (failures > 0) log.info('anchoring resumed')
        failures = 0
        lastError = undefined
      } catch (err) {
        failures++
        nextNonce = undefined // whatever happened, ask the node again
        const e = toChainError(err, { rpcUrl: o.conn.rpcUrl })
        if (lastError?.shortMessage !== e.shortMessage) {
          const line = `anchoring failed: ${e.shortMessage}`
          if (e instanceof InsufficientFundsError) log.error({ code: e.code, pending: pending.length }, line)
          else log.warn({ code: e.code, pending: pending.length }, line)
        }
        lastError = e
      }
      if (!running) break
      const delay = failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** Math.min(failures, 10), MAX_BACKOFF_MS)
      await new Promise<void>((res) => {
        const t = setTimeout(res, batchWaiting() && failures === 0 && inflight.length < maxInflight ? 0 : delay)
        wake = () => {
          clearTimeout(t)
          res()
        }
      })
      wake = undefined
    }
  }

  return {
    start() {
      if (running) return
      running = true
      stopping = false
      loop = run()
    },
    async stop() {
      running = false
      stopping = true
      wake?.()
      await loop
      await current?.catch(() => undefined)
    },
    enqueue(id) {
      pending.push(id)
      const r = o.recordOf(id)
      if (r) freshBytes += encodedRecordBytes(r)
      if (batchWaiting() && failures === 0) wake?.()
    },
    runOnce,
    requeue(ids) {
      pending.unshift(ids)
      wake?.()
    },
    stats: () => ({
      pending: pending.length + signing,
      inflight: inflight.reduce((n, b) => n + b.ids.length, 0),
      sentBatches,
      lastError: lastError?.shortMessage,
      lastErrorCode: lastError?.code,
    }),
  }
}
