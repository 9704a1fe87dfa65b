import type { PublicClient } from 'viem'
import { LwchainError } from '../errors/base.js'

/**
 * The fee policy of every transaction lwchain signs itself (anchoring, provisioning): EIP-1559
 * with a ceiling, and replacement of a transaction stuck for `bumpAfterBlocks` blocks at +12.5%
 * on both fees (what geth, Nethermind and reth require of a replacement, at least).
 */
export interface FeePolicy {
  /** Never pay more per gas than this (wei). Default 500 gwei. */
  maxFeePerGas: bigint
  /** Tip offered (wei); default the node's eth_maxPriorityFeePerGas. */
  priorityFeePerGas?: bigint
  /** Blocks a sent transaction may wait before it is replaced with higher fees. Default 3. */
  bumpAfterBlocks: number
}

export const DEFAULT_FEE_POLICY: FeePolicy = { maxFeePerGas: 500_000_000_000n, bumpAfterBlocks: 3 }

export interface Fees {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

/** The base fee is above what the policy allows: nothing can be sent until it falls. */
export class FeeCapError extends LwchainError {
  override name = 'FeeCapError'
  constructor(needed: bigint, cap: bigint) {
    super(`the network's fee (${gwei(needed)} gwei) is above the configured maximum of ${gwei(cap)} gwei`, { code: 'LWC_FEE_CAP' })
  }
}

/** The signer cannot pay for gas: one line for the command, a failed health check for the daemon. */
export class InsufficientFundsError extends LwchainError {
  override name = 'InsufficientFundsError'
  constructor(address?: string) {
    super(`the signer${address ? ` ${address}` : ''} has insufficient funds for gas: fund it or use another key`, { code: 'LWC_INSUFFICIENT_FUNDS' })
  }
}

const gwei = (wei: bigint): string => (Number(wei) / 1e9).toFixed(wei < 10_000_000n ? 4 : 1)

/** The policy with defaults filled in. */
export function feePolicyOf(p: Partial<FeePolicy> = {}): FeePolicy {
  return { ...DEFAULT_FEE_POLICY, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) }
}

/**
 * Fees for a new transaction: a tip, and room for the base fee to double (two full blocks of
 * +12.5% each are 27%; doubling rides out a sustained spike without replacement), within the cap.
 */
export async function initialFees(client: PublicClient, policy: FeePolicy): Promise<Fees> {
  const [block, tip] = await Promise.all([
    client.getBlock({ blockTag: 'latest' }),
    policy.priorityFeePerGas !== undefined ? Promise.resolve(policy.priorityFeePerGas) : client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
  ])
  return feesOver(block.baseFeePerGas ?? 0n, tip, policy)
}

/** Fees for a base fee: 2 × base + tip, capped; FeeCapError when even the base fee plus tip is over the cap. */
export function feesOver(baseFee: bigint, tip: bigint, policy: FeePolicy): Fees {
  const needed = baseFee + tip
  if (needed > policy.maxFeePerGas) throw new FeeCapError(needed, policy.maxFeePerGas)
  const want = 2n * baseFee + tip
  return { maxFeePerGas: want < policy.maxFeePerGas ? want : policy.maxFeePerGas, maxPriorityFeePerGas: tip }
}

/**
 * Whether a pending transaction may be held up by its own fees, so that a replacement can help:
 * it is priced under the base fee (a pool may also evict such a transaction at every block, as
 * anvil does, so sending the same bytes again cannot help), or it is pooled with the next nonce
 * to be mined. One above the next nonce only waits for it: replacing it too would re-sign every
 * transaction in flight whenever the lowest waits a few blocks (and anvil's automine mines a
 * block per transaction, so "a few blocks" pass in milliseconds there).
 */
export function stuckOnFees(tx: { nonce: number; maxFeePerGas: bigint; pooled: boolean }, chain: { nonce: number; baseFee: bigint }): boolean {
  return tx.maxFeePerGas < chain.baseFee || (tx.pooled && tx.nonce <= chain.nonce)
}

/**
 * Fees that replace `prev`: both at least +12.5% (rounded up), and enough for the current base
 * fee; undefined when the cap does not allow a valid replacement (the old one stays in the pool).
 */
export function replacementFees(prev: Fees, baseFee: bigint, policy: FeePolicy): Fees | undefined {
  const up = (x: bigint): bigint => x + (x + 7n) / 8n
  const tip = up(prev.maxPriorityFeePerGas)
  let max = up(prev.maxFeePerGas)
  const fresh = 2n * baseFee + tip
  if (fresh > max) max = fresh
  if (max > policy.maxFeePerGas) max = policy.maxFeePerGas
  if (max < up(prev.maxFeePerGas) || max < baseFee + tip) return undefined
  return { maxFeePerGas: max, maxPriorityFeePerGas: tip }
}
