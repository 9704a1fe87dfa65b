import type { Abi, Hash, TransactionReceipt } from 'viem'
import type { ChainConnection } from './connectChain.js'
import { toChainError, type ChainErrorContext } from './toChainError.js'
import { ChainCallError, SignerRequiredError } from './errors.js'

/** One contract write: address, ABI, function and arguments. */
export interface ContractWrite {
  address: `0x${string}`
  abi: Abi
  functionName: string
  args: readonly unknown[]
  /** Names for error messages (endpoint, username...). */
  errorContext?: ChainErrorContext
}

/** Estimates a write's gas; a revert comes back as a typed LwchainError before anything is sent. */
export async function estimateWrite(conn: ChainConnection, w: ContractWrite): Promise<bigint> {
  if (!conn.walletClient || !conn.account) throw new SignerRequiredError()
  try {
    return await conn.publicClient.estimateContractGas({ ...callOf(w), account: conn.account } as never)
  } catch (err) {
    throw toChainError(err, { rpcUrl: conn.rpcUrl, account: conn.account.address, ...w.errorContext })
  }
}

/**
 * Sends a contract write without waiting for its receipt. The account's nonce manager hands out
 * nonces locally, so many of these may be in flight at once, unless the caller gives `nonce`
 * (and then owns the ordering). Reverts (found by the gas estimate, unless `gas` is given) come
 * back as typed LwchainErrors before anything is sent.
 */
export async function submitWrite(conn: ChainConnection, w: ContractWrite, o: { gas?: bigint; nonce?: number } = {}): Promise<Hash> {
  if (!conn.walletClient || !conn.account) throw new SignerRequiredError()
  // Estimate before a nonce is taken: viem's nonce manager hands out the nonce before its own
  // estimate, so a revert there would leave a nonce gap that stalls every later send.
  const gas = o.gas ?? (await estimateWrite(conn, w))
  try {
    return await conn.walletClient.writeContract({
      ...callOf(w),
      account: conn.account,
      chain: conn.chain,
      gas: (gas * 12n) / 10n,
      ...(o.nonce !== undefined && { nonce: o.nonce }),
    } as never)
  } catch (err) {
    // The send failed after a nonce was taken; let the manager re-read it from the chain.
    conn.account.nonceManager?.reset({ address: conn.account.address, chainId: conn.chainId })
    throw toChainError(err, { rpcUrl: conn.rpcUrl, account: conn.account.address, ...w.errorContext })
  }
}

function callOf(w: ContractWrite) {
  return { address: w.address, abi: w.abi, functionName: w.functionName, args: w.args }
}

/** Waits for a transaction's receipt; a reverted transaction becomes a ChainCallError. */
export async function waitForWrite(conn: ChainConnection, hash: Hash, ctx: ChainErrorContext = {}): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt
  try {
    receipt = await conn.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 })
  } catch (err) {
    throw toChainError(err, { rpcUrl: conn.rpcUrl, ...ctx })
  }
  if (receipt.status !== 'success') throw new ChainCallError(`transaction ${hash} reverted`)
  return receipt
}

/** Sends a contract write and waits for it to be mined. */
export async function writeAndWait(conn: ChainConnection, w: ContractWrite): Promise<{ txHash: Hash; receipt: TransactionReceipt }> {
  const txHash = await submitWrite(conn, w)
  const receipt = await waitForWrite(conn, txHash, w.errorContext)
  return { txHash, receipt }
}
