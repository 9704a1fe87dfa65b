import { encodeFunctionData, parseEventLogs, type Address, type Hash, type TransactionReceipt } from 'viem'
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
import { estimateWrite } from '../writeAndWait.js'

export interface AddClientsParameters {
  clientStore: Address
  records: OnChainClientRecord[]
  /** Records per transaction (each batch is atomic on chain). Default 50. */
  batchSize?: number
  /** Batches being estimated at once (sends are one at a time, in nonce order). Default 4. */
  concurrency?: number
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
  const size = Math.max(1, p.batchSize ?? 50)
  const batches: { start: number; records: OnChainClientRecord[] }[] = []
  for (let i = 0; i < p.records.length; i += size) batches.push({ start: i, records: p.records.slice(i, i + size) })

  const sender = createTxSender(conn, { fees: p.fees, settleTimeoutMs: p.settleTimeoutMs, logger: p.logger })
  const results: BatchResult[] = new Array(batches.length)
  const settling: Promise<void>[] = []
  // Once the signer is out of funds, nothing later can be sent either: fail those rows at once.
  let fatal: LwchainError | undefined
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
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
        const gas = await estimateWrite(conn, write)
        const data = encodeFunctionData({ abi: clientStoreAbi, functionName: 'addClients', args: [b.records] })
        w = await sender.send({ to: p.clientStore, data, gas: (gas * 12n) / 10n })
      } catch (err) {
        // The estimate can meet an empty account first (nodes check the balance there too).
        const e = classifyTxError(err) === 'insufficient-funds' ? new InsufficientFundsError(sender.address) : err
        if (e instanceof InsufficientFundsError) fatal = e
        fail(e)
        continue
      }
      // Do not wait here: the next batch goes out while this one is mined.
      settling.push(
        sender.settle(w, (r) => verifyBatch(r, p.clientStore, b.records)).then((out) => {
          const txHashes = w.attempts.map((a) => a.hash)
          if (out.status === 'landed') done({ start: b.start, count: b.records.length, status: 'landed', txHash: out.hash, txHashes, block: out.receipt.blockNumber })
          else done({ start: b.start, count: b.records.length, status: 'failed', txHash: out.hash, txHashes, error: out.error })
        }),
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(p.concurrency ?? 4, batches.length) }, worker))
  await Promise.all(settling)
  return results
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
