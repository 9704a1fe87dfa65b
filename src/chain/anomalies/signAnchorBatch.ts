import { encodeFunctionData, type Address, type Hash, type Hex } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { SignerRequiredError } from '../errors.js'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { toChainError } from '../toChainError.js'
import { LwchainError } from '../../errors/base.js'
import { signTransactionFast } from '../signTransactionFast.js'
import { feePolicyOf, initialFees, type FeePolicy, type Fees } from '../fees.js'
import type { AnchorBatchParameters } from './anchorBatch.js'

/** The batch needs more gas than one transaction may use: split it. */
export class GasCapExceededError extends LwchainError {
  override name = 'GasCapExceededError'
  constructor(
    readonly gas: bigint,
    readonly cap: bigint,
  ) {
    super(`the batch needs ${gas} gas, over the ${cap} a transaction may use`, { code: 'LWC_GAS_CAP' })
  }
}

/** A signed anchorBatch transaction that has not necessarily been broadcast. */
export interface SignedAnchorTx {
  txHash: Hash
  nonce: number
  raw: Hex
  gas: bigint
  fees: Fees
}

/**
 * Signs an anchorBatch transaction with an explicit nonce without sending it, so that its hash
 * can be journaled first and the very same bytes re-broadcast after a crash: a rebroadcast can
 * only ever land once (same nonce, same hash). Reverts found by the gas estimate are typed errors.
 */
export async function signAnchorBatch(
  conn: ChainConnection,
  p: AnchorBatchParameters & { nonce?: number; maxGas?: bigint; fees?: Fees | Partial<FeePolicy>; gas?: bigint },
): Promise<SignedAnchorTx> {
  if (!conn.account) throw new SignerRequiredError()
  const data = encodeFunctionData({ abi: anomalyStoreAbi, functionName: 'anchorBatch', args: [p.root, p.count, p.records] })
  try {
    const given = p.fees && 'maxPriorityFeePerGas' in p.fees && p.fees.maxPriorityFeePerGas !== undefined && 'maxFeePerGas' in p.fees ? (p.fees as Fees) : undefined
    const [gas, fees, nonce] = await Promise.all([
      p.gas ?? conn.publicClient.estimateGas({ account: conn.account, to: p.anomalyStore, data }).then((g) => (g * 12n) / 10n),
      given ?? initialFees(conn.publicClient, feePolicyOf(p.fees as Partial<FeePolicy> | undefined)),
      p.nonce ?? conn.publicClient.getTransactionCount({ address: conn.account.address, blockTag: 'pending' }),
    ])
    const limit = gas
    if (p.maxGas !== undefined && limit > p.maxGas) throw new GasCapExceededError(limit, p.maxGas)
    const { raw, hash } = await signTransactionFast(conn.account, {
      chainId: conn.chainId,
      to: p.anomalyStore,
      data,
      nonce,
      gas: limit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    })
    return { txHash: hash, nonce, raw, gas: limit, fees }
  } catch (err) {
    throw toChainError(err, { rpcUrl: conn.rpcUrl })
  }
}
