import type { Address, Hash, TransactionReceipt } from 'viem'
import { decodeBatchEvents, type BatchEvent } from '../chain/anomalies/fetchBatchEvents.js'
import { GasCapExceededError, signAnchorBatch } from '../chain/anomalies/signAnchorBatch.js'
import type { ChainConnection } from '../chain/connectChain.js'
import { toChainError } from '../chain/toChainError.js'
import { classifyTxError, errorText } from '../chain/txErrors.js'
import type { Logger } from '../logger.js'
import { DEFAULT_MAX_RECORDS, DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TX_GAS, encodedRecordBytes, rawTxBytes, recordBudget, txBytesFor } from './batchSize.js'
import { AnchorTimeoutError, AnomalyStoreMissingError } from './errors.js'
import { IdQueue } from './idQueue.js'
import { buildBatch, type BuiltBatch } from './merkle.js'
import type { Anchoring, Outbox, SentBatch } from './outbox.js'
import type { AnomalyRecord } from './record.js'

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
  /** A batch of ours was mined: its ids, where, its event and (when built in this process) its tree, to index it at once. */
  onConfirmed: (ids: string[], at: Anchoring, event: BatchEvent | undefined, built: BuiltBatch | undefined) => void
  /** Batches sent before a restart and not known to be resolved. */
  inflight: SentBatch[]
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
  /** A record that can never be anchored (too big for any transaction): journal it and report it. */
  onQuarantined: (id: string, reason: string) => Promise<void>
  /** How long to wait for a receipt before retrying later. Default 60 s. */
  receiptTimeoutMs?: number
}

/** The anchoring loop: batches pending records into anchorBatch transactions, exactly once. */
export interface AnchorLoop {
  start(): void
  /** Stops after the current step (an in-flight transaction stays journaled for the next start). */
  stop(): Promise<void>
  /** Queues an accepted id; starts a round early once a full batch is waiting. */
  enqueue(id: string): void
  /** Puts ids back at the front of the queue (their batch is no longer on chain). */
  requeue(ids: string[]): void
  /** Runs a round now (tests, shutdown flush); rejects when it fails. */
  runOnce(): Promise<void>
  stats(): { pending: number; inflight: number; sentBatches: number; lastError?: string }
}

const MAX_BACKOFF_MS = 15_000

/**
 * Creates the loop. Exactly once rests on three rules: a batch is journaled (with its signed
 * bytes) before it is broadcast; an in-flight batch is resolved before anything new is sent, by
 * its receipt or by re-broadcasting the same bytes (same nonce: only one can ever land); and ids
 * go back to pending only when their transaction provably cannot land and the chain's
 * BatchAnchored events do not hold them.
 */
export function createAnchorLoop(o: AnchorLoopOptions): AnchorLoop {
  const intervalMs = o.intervalMs ?? 1_000
  const maxBatch = o.maxBatch ?? DEFAULT_MAX_RECORDS
  const maxTxBytes = o.maxTxBytes ?? DEFAULT_MAX_TX_BYTES
  const maxTxGas = o.maxTxGas ?? DEFAULT_MAX_TX_GAS
  // Learned limits: the node's own size limit when it refused a transaction as oversized (never
  // grows back: a node's limit does not change), and a record count that halves when a batch
  // needs more gas than allowed and doubles back after each batch that lands.
  let byteCap = maxTxBytes
  let countCap = maxBatch
  const receiptTimeoutMs = o.receiptTimeoutMs ?? 60_000
  const log = o.logger
  const pending = new IdQueue(o.pending)
  const inflight: SentBatch[] = [...o.inflight]
  let running = false
  let stopping = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined
  let current: Promise<void> | undefined
  let failures = 0
  let lastError: string | undefined
  let sentBatches = 0
  const builtBy = new Map<string, BuiltBatch>()
  // Whether AnomalyStore's code was seen at the address (checked once, and again after a batch without its event).
  let storeChecked = false
  let signing = 0

  const getReceipt = async (hash: Hash): Promise<TransactionReceipt | undefined> => {
    try {
      return await o.conn.publicClient.getTransactionReceipt({ hash })
    } catch (err) {
      if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return undefined
      throw err
    }
  }

  const waitReceipt = async (hash: Hash): Promise<TransactionReceipt> => {
    const deadline = Date.now() + receiptTimeoutMs
    for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
      const r = await getReceipt(hash)
      if (r) return r
      if (Date.now() > deadline || stopping) throw new AnchorTimeoutError(hash, receiptTimeoutMs)
      await new Promise((res) => setTimeout(res, delay))
    }
  }

  const settle = (b: SentBatch): void => {
    const i = inflight.indexOf(b)
    if (i >= 0) inflight.splice(i, 1)
  }

  const confirm = async (b: SentBatch, receipt: TransactionReceipt): Promise<void> => {
    const store = o.anomalyStore.toLowerCase()
    const [event] = decodeBatchEvents(receipt.logs.filter((l) => l.address.toLowerCase() === store))
    if (!event) {
      // A call to an address without code "succeeds" with no logs (e.g. a fresh chain without the
      // deployment): nothing was anchored, so the records go back to pending.
      storeChecked = false
      await drop(b, 'the transaction emitted no BatchAnchored event')
      throw new AnomalyStoreMissingError(o.anomalyStore)
    }
    const at: Anchoring = { batchId: event.batchId.toString(), txHash: b.txHash, block: receipt.blockNumber.toString(), blockHash: receipt.blockHash }
    await o.outbox.appendJournal({ t: 'confirmed', ...at })
    o.outbox.removeRawTx(b.txHash)
    settle(b)
    countCap = Math.min(maxBatch, countCap * 2)
    const built = builtBy.get(b.txHash)
    builtBy.delete(b.txHash)
    o.onConfirmed(b.ids, at, event, built)
    log.debug({ batchId: at.batchId, count: b.ids.length, txHash: b.txHash }, 'anomaly batch anchored')
  }

  const quarantine = async (id: string, reason: string): Promise<void> => {
    await o.onQuarantined(id, reason)
    log.error({ id, reason }, `anomaly ${id} can never be anchored and is quarantined: ${reason}`)
  }

  const drop = async (b: SentBatch, reason: string, requeue = true): Promise<void> => {
    // Before anything goes back to pending, ask the chain: a batch of ours may hold these ids
    // even if this transaction's receipt is unknown (e.g. a chain restored from a state dump).
    await o.syncChain()
    await o.outbox.appendJournal({ t: 'dropped', txHash: b.txHash, reason })
    o.outbox.removeRawTx(b.txHash)
    builtBy.delete(b.txHash)
    settle(b)
    const back = requeue ? b.ids.filter((id) => !o.isAnchored(id)) : []
    pending.unshift(back)
    log.warn({ txHash: b.txHash, reason, requeued: back.length }, 'anomaly batch dropped; records queued again')
  }

  const resolve = async (b: SentBatch): Promise<void> => {
    let receipt = await getReceipt(b.txHash)
    if (!receipt) {
      try {
        await o.conn.publicClient.sendRawTransaction({ serializedTransaction: b.raw })
      } catch (err) {
        const kind = classifyTxError(err)
        if (kind === 'nonce-too-low') {
          receipt = await getReceipt(b.txHash)
          if (!receipt) return drop(b, 'its nonce was used by another transaction')
        } else if (kind === 'oversized') {
          // The pool refused it whole: it never entered, so its nonce is free and its ids can go
          // in smaller batches. The node's limit is below this size: remember that.
          const size = rawTxBytes(b.raw)
          byteCap = Math.min(byteCap, Math.floor((size * 7) / 8))
          log.warn({ txHash: b.txHash, bytes: size, records: b.ids.length, byteCap }, 'the node refused an anchoring transaction as oversized; splitting it')
          if (b.ids.length === 1) {
            await drop(b, 'oversized', false)
            return quarantine(b.ids[0], `the node refuses even a transaction of this record alone (${size} bytes): ${errorText(err).split(' | ')[0]}`)
          }
          return drop(b, 'oversized')
        } else if (kind !== 'already-known') {
          throw err
        }
      }
      receipt ??= await waitReceipt(b.txHash)
    }
    if (receipt.status !== 'success') return drop(b, 'reverted')
    await confirm(b, receipt)
  }

  const sendNext = async (): Promise<boolean> => {
    if (!storeChecked && pending.length > 0) {
      const code = await o.conn.publicClient.getCode({ address: o.anomalyStore })
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
    for (const t of tooBig) await quarantine(t.id, `its anchoring transaction would be ${t.bytes} bytes, over the ${maxTxBytes}-byte limit`)
    if (ids.length === 0) return tooBig.length > 0
    signing = ids.length
    const built = buildBatch(records)
    let sent: SentBatch
    try {
      const signed = await signAnchorBatch(o.conn, { anomalyStore: o.anomalyStore, root: built.root, count: built.count, records: built.encoded, maxGas: maxTxGas })
      if (rawTxBytes(signed.raw) > byteCap && ids.length > 1) {
        // The envelope estimate was short: send half.
        countCap = Math.max(1, Math.floor(ids.length / 2))
        pending.unshift(ids)
        return true
      }
      sent = { t: 'sent', txHash: signed.txHash, nonce: signed.nonce, raw: signed.raw, root: built.root, ids }
      o.outbox.saveRawTx(sent.txHash, sent.raw)
      await o.outbox.appendJournal(sent)
    } catch (err) {
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
      throw err
    } finally {
      signing = 0
    }
    // Journaled: from here the ids belong to the in-flight batch, whatever happens next.
    inflight.push(sent)
    builtBy.set(sent.txHash, built)
    sentBatches++
    await resolve(sent)
    return true
  }

  const round = async (): Promise<void> => {
    for (const b of [...inflight]) await resolve(b)
    // Drain: under load the next batch is already waiting, so there is no pause between batches.
    while (await sendNext()) {
      if (stopping) break
    }
  }

  const runOnce = (): Promise<void> => {
    current ??= round().finally(() => (current = undefined))
    return current
  }

  const run = async (): Promise<void> => {
    while (running) {
      try {
        if (pending.length > 0 || inflight.length > 0) await runOnce()
        if (failures > 0) log.info('anchoring resumed')
        failures = 0
        lastError = undefined
      } catch (err) {
        failures++
        const e = toChainError(err, { rpcUrl: o.conn.rpcUrl })
        if (lastError !== e.shortMessage) log.warn({ code: e.code, pending: pending.length }, `anchoring failed: ${e.shortMessage}`)
        lastError = e.shortMessage
      }
      if (!running) break
      const delay = failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** Math.min(failures, 10), MAX_BACKOFF_MS)
      await new Promise<void>((res) => {
        const t = setTimeout(res, pending.length >= maxBatch && failures === 0 ? 0 : delay)
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
      if (pending.length >= maxBatch && failures === 0) wake?.()
    },
    runOnce,
    requeue(ids) {
      pending.unshift(ids)
      wake?.()
    },
    stats: () => ({ pending: pending.length + signing, inflight: inflight.reduce((n, b) => n + b.ids.length, 0), sentBatches, lastError }),
  }
}

