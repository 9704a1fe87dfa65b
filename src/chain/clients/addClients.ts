import { encodeFunctionData, parseEventLogs, type Address, type Hash, type Hex, type TransactionReceipt } from 'viem'
import { LwchainError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'
import type { ChainConnection } from '../connectChain.js'
import { ChainCallError } from '../errors.js'
import { InsufficientFundsError, type FeePolicy } from '../fees.js'
import { classifyTxError } from '../txErrors.js'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { toChainError } from '../toChainError.js'
import { createTxSender, type JournaledWrite } from '../txSender.js'
import { estimateWrite, simulateWrite } from '../writeAndWait.js'

export interface AddClientsParameters {
  clientStore: Address
  records: OnChainClientRecord[]
  /**
   * Records per transaction at most (each batch is atomic on chain). Default 120, about 13.5 M
   * gas. A batch also stops before its calldata passes MAX_BATCH_BYTES.
   */
  batchSize?: number
  /** Batches being estimated at once (sends are one at a time, in nonce order). Default 4. */
  concurrency?: number
  /**
   * Batches sent and not yet settled, at most. Default 16, geth's executable slots per account
   * (`txpool.accountslots`): a node keeps no more of one sender's transactions ready, and every
   * unsettled batch polls for its receipt. Unbounded, a 100,000-row import put 2,000 batches in
   * anvil's pool at once; anvil slowed to 100 rows/s under their polling, and 23,600 rows
   * outlived the settle timeout before they were mined.
   */
  maxInFlight?: number
  /** Called as each batch is mined or fails. */
  onBatch?: (result: BatchResult) => void
  fees?: Partial<FeePolicy>
  /** How long to wait for each batch to be mined. Default 5 min. */
  settleTimeoutMs?: number
  logger?: Logger
}

/** Outcome of one batch: rows [start, start + count) of the input. */
export interface BatchResult {
  start: number
  count: number
  status: 'landed' | 'failed'
  txHash?: Hash
  /** Every transaction hash signed for this batch (replacements, re-sends at another nonce). */
  txHashes?: Hash[]
  block?: bigint
  error?: LwchainError
}

/**
 * Adds many clients in atomic batches. Batches go out one after another without waiting for
 * earlier receipts, with nonces counted and journaled by a TxSender (re-read after any ambiguous
 * failure); then each batch is resolved by the receipts of its own hashes, verified to hold a
 * ClientAdded event for every endpoint of the batch, so the result says exactly which rows landed.
 */
export async function addClients(conn: ChainConnection, p: AddClientsParameters): Promise<BatchResult[]> {
  const batches = cutBatches(p.records, Math.max(1, p.batchSize ?? DEFAULT_BATCH_RECORDS))

  const sender = createTxSender(conn, { fees: p.fees, settleTimeoutMs: p.settleTimeoutMs, logger: p.logger })
  const results: BatchResult[] = new Array(batches.length)
  const settling: Promise<void>[] = []
  // Once the signer is out of funds, nothing later can be sent either: fail those rows at once.
  let fatal: LwchainError | undefined
  const gasOf = createBatchGas()
  let next = 0
  const window = createWindow(Math.max(1, p.maxInFlight ?? 16))
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      await window.enter()
      if (next >= batches.length) {
        window.leave()
        break
      }
      const index = next++
      const b = batches[index]
      const done = (r: BatchResult): void => {
        results[index] = r
        p.onBatch?.(r)
      }
      const fail = (err: unknown, w?: JournaledWrite): void =>
        done({ start: b.start, count: b.records.length, status: 'failed', error: toChainError(err, { rpcUrl: conn.rpcUrl }), ...(w && { txHashes: w.attempts.map((a) => a.hash) }) })
      if (fatal) {
        fail(fatal)
        window.leave()
        continue
      }
      const write = {
        address: p.clientStore,
        abi: clientStoreAbi,
        functionName: 'addClients',
        args: [b.records],
        errorContext: b.records.length === 1 ? { endpoint: b.records[0].endpoint } : {},
      }
      let w: JournaledWrite
      try {
        // A revert (a taken endpoint or identity) is found here, before anything is sent.
        const data = encodeFunctionData({ abi: clientStoreAbi, functionName: 'addClients', args: [b.records] })
        const gas = await gasOf(b.records.length, data, () => estimateWrite(conn, write), () => simulateWrite(conn, write))
        w = await sender.send({ to: p.clientStore, data, gas: (gas * 12n) / 10n })
      } catch (err) {
        // The estimate can meet an empty account first (nodes check the balance there too).
        const e = classifyTxError(err) === 'insufficient-funds' ? new InsufficientFundsError(sender.address) : err
        if (e instanceof InsufficientFundsError) fatal = e
        fail(e)
        window.leave()
        continue
      }
      // Do not wait here: the next batch goes out while this one is mined.
      settling.push(
        sender
          .settle(w, (r) => verifyBatch(r, p.clientStore, b.records))
          .then((out) => {
            const txHashes = w.attempts.map((a) => a.hash)
            if (out.status === 'landed') done({ start: b.start, count: b.records.length, status: 'landed', txHash: out.hash, txHashes, block: out.receipt.blockNumber })
            else done({ start: b.start, count: b.records.length, status: 'failed', txHash: out.hash, txHashes, error: out.error })
          })
          .finally(() => window.leave()),
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(p.concurrency ?? 4, batches.length) }, worker))
  await Promise.all(settling)
  return results
}

/**
 * Records per batch by default. Each batch is one block on an automining chain, and anvil hashes
 * its whole state for every block: a 30,000-row import took 54 s in batches of 50 and 29 s in
 * batches of 120 (anvil's CPU 43 s -> 18 s).
 */
export const DEFAULT_BATCH_RECORDS = 120

/**
 * Calldata bytes a batch stays under: geth refuses transactions over 128 KiB (txMaxSize), and
 * hosted providers do the same; the rest is left for the signature and RLP framing. A typical
 * record is 833 bytes, so the count binds first; long endpoints, URIs or identities cut sooner.
 */
export const MAX_BATCH_BYTES = 100 * 1024

/** The ABI-encoded bytes one record adds to addClients' calldata (offset, head, each field's length word and padded body). */
function recordBytes(r: OnChainClientRecord): number {
  const field = (hexOrText: string, isHex: boolean) => 32 + Math.ceil((isHex ? (hexOrText.length - 2) / 2 : Buffer.byteLength(hexOrText)) / 32) * 32
  return 32 + 7 * 32 +
    field(r.endpoint, false) + field(r.bootstrapUri, false) + field(r.bootstrapIdentity, false) + field(r.bootstrapKeySealed, true) +
    field(r.serverUri, false) + field(r.serverIdentity, false) + field(r.serverKeySealed, true)
}

/** Consecutive batches of at most `size` records and MAX_BATCH_BYTES of calldata (a record too big alone still gets a batch). */
export function cutBatches(records: OnChainClientRecord[], size: number): { start: number; records: OnChainClientRecord[] }[] {
  const batches: { start: number; records: OnChainClientRecord[] }[] = []
  let start = 0
  let bytes = 4 + 64 // selector, array offset and length
  for (let i = 0; i < records.length; i++) {
    const n = recordBytes(records[i])
    if (i > start && (i - start >= size || bytes + n > MAX_BATCH_BYTES)) {
      batches.push({ start, records: records.slice(start, i) })
      start = i
      bytes = 4 + 64
    }
    bytes += n
  }
  if (start < records.length) batches.push({ start, records: records.slice(start) })
  return batches
}

/** A receipt is this batch's only when its logs add exactly these endpoints. */
function verifyBatch(r: TransactionReceipt, clientStore: Address, records: OnChainClientRecord[]): LwchainError | undefined {
  const store = clientStore.toLowerCase()
  const added = parseEventLogs({ abi: clientStoreAbi, logs: r.logs.filter((l) => l.address.toLowerCase() === store), eventName: 'ClientAdded' })
  const got = new Set(added.map((l) => (l.args as { record: { endpoint: string } }).record.endpoint))
  const missing = records.filter((x) => !got.has(x.endpoint))
  if (missing.length === 0 && got.size === records.length) return undefined
  return new ChainCallError(`transaction ${r.transactionHash} was mined but its logs do not add this batch (${missing.length} endpoints missing)`)
}

/** A counting semaphore: enter() waits while `size` holders are inside. */
function createWindow(size: number): { enter(): Promise<void>; leave(): void } {
  let inside = 0
  const waiting: (() => void)[] = []
  return {
    enter() {
      if (inside < size) {
        inside++
        return Promise.resolve()
      }
      return new Promise((resolve) => waiting.push(resolve))
    },
    leave() {
      const next = waiting.shift()
      if (next) next()
      else inside--
    },
  }
}

/**
 * Gas for each batch of one import. The first batch is estimated (eth_estimateGas: a search of
 * several executions, 19 ms per 50-record batch on anvil, against 2.4 ms for one call); later
 * ones are only simulated, for their revert, and get the first estimate scaled by whichever of
 * records and calldata bytes grew more, plus a quarter. A record's gas is a fixed part (its
 * storage slots) and a part in its bytes (calldata and its event), so that scale never falls
 * short of either; a batch that still ran out would revert and be reported failed, not lost.
 */
function createBatchGas(): (records: number, data: Hex, estimate: () => Promise<bigint>, simulate: () => Promise<void>) => Promise<bigint> {
  let first: Promise<{ gas: bigint; records: number; bytes: number }> | undefined
  return async (records, data, estimate, simulate) => {
    const bytes = (data.length - 2) / 2
    if (!first) {
      const mine = estimate().then((gas) => ({ gas, records, bytes }))
      first = mine
      // A first batch that reverts (a taken endpoint) tells nothing: the next one estimates.
      mine.catch(() => {
        if (first === mine) first = undefined
      })
      return (await mine).gas
    }
    let base
    try {
      base = await first
    } catch {
      return estimate()
    }
    await simulate()
    const scale = Math.max(records / base.records, bytes / base.bytes) * 1.25
    return (base.gas * BigInt(Math.ceil(scale * 1000))) / 1000n
  }
}
