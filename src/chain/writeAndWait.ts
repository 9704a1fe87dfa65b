import { encodeFunctionData, type Abi, type Hash, type TransactionReceipt } from 'viem'
import { LwchainError } from '../errors/base.js'
import type { ChainConnection } from './connectChain.js'
import { toChainError, type ChainErrorContext } from './toChainError.js'
import { SignerRequiredError } from './errors.js'
import { createTxSender, type WriteOutcome } from './txSender.js'

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
  return asSigner(conn, w, (account) => conn.publicClient.estimateContractGas({ ...callOf(w), account } as never))
}

/**
 * Runs a write as a call (one execution, no gas search): resolves when it would succeed, throws
 * its revert as a typed LwchainError, as estimateWrite does.
 */
export async function simulateWrite(conn: ChainConnection, w: ContractWrite): Promise<void> {
  await asSigner(conn, w, (account) => conn.publicClient.simulateContract({ ...callOf(w), account } as never))
}

/** Runs `f` as the connection's signer, its failure turned into a typed LwchainError naming the write. */
async function asSigner<T>(conn: ChainConnection, w: ContractWrite, f: (account: NonNullable<ChainConnection['account']>) => Promise<T>): Promise<T> {
  if (!conn.walletClient || !conn.account) throw new SignerRequiredError()
  const account = conn.account
  try {
    return await f(account)
  } catch (err) {
    throw toChainError(err, { rpcUrl: conn.rpcUrl, account: account.address, ...w.errorContext })
  }
}

function callOf(w: ContractWrite) {
  return { address: w.address, abi: w.abi, functionName: w.functionName, args: w.args }
}

/**
 * Sends one contract write and waits for it to be mined, through a TxSender: nonces re-read after
 * any ambiguous answer, every hash journaled, the write settled by its own receipts. So a write
 * survives another process signing with the same key at the same moment (seen in the suite: the
 * server's ledger and `client add` on anvil's account 0, "replacement transaction underpriced"),
 * and a transaction replaced by someone else is reported as not landed, not as landed.
 * Reverts come back from the gas estimate as typed LwchainErrors before anything is sent.
 */
export async function writeAndWait(conn: ChainConnection, w: ContractWrite): Promise<{ txHash: Hash; receipt: TransactionReceipt }> {
  if (!conn.walletClient || !conn.account) throw new SignerRequiredError()
  const gas = await estimateWrite(conn, w)
  const data = encodeFunctionData(callOf(w) as never)
  const sender = createTxSender(conn)
  const ctx = { rpcUrl: conn.rpcUrl, account: conn.account.address, ...w.errorContext }
  let out: WriteOutcome
  try {
    out = await sender.settle(await sender.send({ to: w.address, data, gas: (gas * 12n) / 10n }), () => undefined)
  } catch (err) {
    throw err instanceof LwchainError ? err : toChainError(err, ctx)
  }
  if (out.status === 'failed') throw out.error
  return { txHash: out.hash, receipt: out.receipt }
}
