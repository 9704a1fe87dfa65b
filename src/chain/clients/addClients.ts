import type { Address, Hash } from 'viem'
import type { LwchainError } from '../../errors/base.js'
import type { ChainConnection } from '../connectChain.js'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { toChainError } from '../toChainError.js'
import { estimateWrite, submitWrite, waitForWrite, type ContractWrite } from '../writeAndWait.js'

export interface AddClientsParameters {
  clientStore: Address
  records: OnChainClientRecord[]
  /** Records per transaction (each batch is atomic on chain). Default 50. */
  batchSize?: number
  /** Batches being prepared and sent at once. Default 4. */
  concurrency?: number
  /** Called as each batch is mined or fails. */
  onBatch?: (result: BatchResult) => void
}

/** Outcome of one batch: rows [start, start + count) of the input. */
export interface BatchResult {
  start: number
  count: number
  status: 'landed' | 'failed'
  txHash?: Hash
  block?: bigint
  error?: LwchainError
}

/**
 * Adds many clients in atomic batches. Batches are sent without waiting for earlier receipts
 * (nonces come from the account's nonce manager), then every receipt is awaited, so the result
 * says exactly which rows landed even when some batches fail.
 */
export async function addClients(conn: ChainConnection, p: AddClientsParameters): Promise<BatchResult[]> {
  const size = Math.max(1, p.batchSize ?? 50)
  const batches: { start: number; records: OnChainClientRecord[] }[] = []
  for (let i = 0; i < p.records.length; i += size) batches.push({ start: i, records: p.records.slice(i, i + size) })

  const results: BatchResult[] = new Array(batches.length)
  const pending: Promise<void>[] = []
  const send = createOrderedSender(conn)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const index = next++
      const b = batches[index]
      const done = (r: BatchResult): void => {
        results[index] = r
        p.onBatch?.(r)
      }
      const write = {
        address: p.clientStore,
        abi: clientStoreAbi,
        functionName: 'addClients',
        args: [b.records],
        errorContext: b.records.length === 1 ? { endpoint: b.records[0].endpoint } : {},
      }
      try {
        // Estimates run concurrently; the sends themselves go out one at a time, in nonce order.
        const gas = await estimateWrite(conn, write)
        const txHash = await send(write, gas)
        // Do not wait here: the next batch goes out while this one is mined.
        pending.push(
          waitForWrite(conn, txHash).then(
            (receipt) => done({ start: b.start, count: b.records.length, status: 'landed', txHash, block: receipt.blockNumber }),
            (err) => done({ start: b.start, count: b.records.length, status: 'failed', txHash, error: toChainError(err, { rpcUrl: conn.rpcUrl }) }),
          ),
        )
      } catch (err) {
        done({ start: b.start, count: b.records.length, status: 'failed', error: toChainError(err, { rpcUrl: conn.rpcUrl }) })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(p.concurrency ?? 4, batches.length) }, worker))
  await Promise.all(pending)
  conn.account?.nonceManager?.reset({ address: conn.account.address, chainId: conn.chainId })
  return results
}

/**
 * Sends writes one at a time with nonces counted here from the pending count, so batch nonces
 * follow send order and never depend on viem's nonce manager, which adds a local delta to a
 * pending count it re-reads while our own sends are in flight (a skipped nonce would leave every
 * later batch waiting in the pool). A send that fails leaves its nonce to the next one.
 */
function createOrderedSender(conn: ChainConnection): (w: ContractWrite, gas: bigint) => Promise<Hash> {
  let nonce: number | undefined
  let queue: Promise<unknown> = Promise.resolve()
  return (w, gas) => {
    const run = queue.then(async () => {
      nonce ??= await conn.publicClient.getTransactionCount({ address: conn.account!.address, blockTag: 'pending' })
      const hash = await submitWrite(conn, w, { gas, nonce })
      nonce++
      return hash
    })
    queue = run.catch(() => undefined)
    return run
  }
}
