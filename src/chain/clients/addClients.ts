import { encodeFunctionData, parseEventLogs, type Address, type Hash, type Hex, type TransactionReceipt } from 'viem'
import { LwchainError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'
import type { ChainConnection } from '../connectChain.js'
import { EMBEDDED_CHAIN_ID } from '../devAccounts.js'
import { ChainCallError } from '../errors.js'
import { InsufficientFundsError, type FeePolicy } from '../fees.js'
import { classifyTxError } from '../txErrors.js'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { toChainError } from '../toChainError.js'
import { createTxSender, type JournaledWrite } from '../txSender.js'
import { estimateWrite, simulateWrite } from '../writeAndWait.js'

/** Consecutive batches of records, produced on demand (provisionClients seals each just ahead of its send). */
export interface BatchSource {
  /** The next batch, or undefined after the last; calls are made one at a time. */
  next(): Promise<RecordBatch | undefined>
}

/** Records [start, start + records.length) of the whole input. */
export interface RecordBatch {
  start: number
  records: OnChainClientRecord[]
}

export interface AddClientsParameters {
  clientStore: Address
  /** The records, all ready; or `source`. */
  records?: OnChainClientRecord[]
  /** Where the batches come from when they are made while earlier ones are sent; else `records`. */
  source?: BatchSource
  /**
   * Records per transaction at most (each batch is atomic on chain). Default 120, about 13.5 M
   * gas. A batch also stops before its calldata passes MAX_BATCH_BYTES.
   */
  batchSize?: number
  /** Batches being estimated at once (sends are one at a time, in nonce order). Default 4. */
  concurrency?: number
  /** Batches sent and not yet settled, at most. Default: defaultMaxInFlight(chain id). */
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
  const source = p.source ?? batchesOf(cutBatches(p.records ?? [], Math.max(1, p.batchSize ?? DEFAULT_BATCH_RECORDS)))

  const sender = createTxSender(conn, { fees: p.fees, settleTimeoutMs: p.settleTimeoutMs, logger: p.logger })
  const results: BatchResult[] = []
  const settling: Promise<void>[] = []
  // Once the signer is out of funds, nothing later can be sent either: fail those rows at once.
  let fatal: LwchainError | undefined
  const gasOf = createBatchGas()
  let next = 0
  let exhausted = false
  // One next() at a time, in order: a source need not be reentrant.
  let pulling: Promise<unknown> = Promise.resolve()
  const pull = (): Promise<RecordBatch | undefined> => {
    const got = pulling.then(() => (exhausted ? undefined : source.next()))
    pulling = got.catch(() => undefined)
    return got
  }
  const window = createWindow(Math.max(1, p.maxInFlight ?? defaultMaxInFlight(conn.chainId)))
  const worker = async (): Promise<void> => {
    while (!exhausted) {
      await window.enter()
      let b: RecordBatch | undefined
      try {
        b = await pull()
      } catch (err) {
        // The source failed (sealing): nothing more can be made; what is in flight settles.
        exhausted = true
        window.leave()
        throw err
      }
      if (!b) {
        exhausted = true
        window.leave()
        break
      }
      const index = next++
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
  const workers = await Promise.allSettled(Array.from({ length: Math.max(1, p.concurrency ?? 4) }, worker))
  await Promise.all(settling)
  const failed = workers.find((w): w is PromiseRejectedResult => w.status === 'rejected')
  if (failed) throw failed.reason
  return results
}

/** A source of batches already cut. */
export function batchesOf(batches: RecordBatch[]): BatchSource {
  let i = 0
  return { next: async () => batches[i++] }
}

/**
 * Batches in flight by default. 16 on a network: geth's executable slots per account
 * (`txpool.accountslots`); a node keeps no more of one sender's transactions ready, and every
 * unsettled batch polls for its receipt (unbounded, a 100,000-row import put 2,000 batches in
 * anvil's pool at once; anvil slowed to 100 rows/s under their polling, and 23,600 rows outlived
 * the settle timeout). 64 on a local dev chain (chain id 31337, anvil's and hardhat's): those
 * pools keep any number, and the embedded chain's miner puts what waits into one block, so a
 * wider window means fewer blocks: 100,000 rows took 111 s with 16 and 66 s with 64.
 */
export function defaultMaxInFlight(chainId: number): number {
  return chainId === EMBEDDED_CHAIN_ID ? 64 : 16
}

/**
 * Records per batch by default: about 13.5 M gas, under EIP-7825's 16.8 M per transaction. On an
 * automining chain each batch was a block of its own, and anvil hashes its whole state for every
 * block: a 30,000-row import took 54 s in batches of 50 and 29 s in batches of 120.
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

/**
 * Consecutive batches of at most `size` records and MAX_BATCH_BYTES of calldata (a record too big
 * alone still gets a batch); `offset` is where `records` start in the whole input.
 */
export function cutBatches(records: OnChainClientRecord[], size: number, offset = 0): RecordBatch[] {
  const batches: RecordBatch[] = []
  let start = 0
  let bytes = 4 + 64 // selector, array offset and length
  for (let i = 0; i < records.length; i++) {
    const n = recordBytes(records[i])
    if (i > start && (i - start >= size || bytes + n > MAX_BATCH_BYTES)) {
      batches.push({ start: offset + start, records: records.slice(start, i) })
      start = i
      bytes = 4 + 64
    }
    bytes += n
  }
  if (start < records.length) batches.push({ start: offset + start, records: records.slice(start) })
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
