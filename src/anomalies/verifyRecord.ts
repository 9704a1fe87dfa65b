import type { Address, Hex, PublicClient } from 'viem'
import { anomalyStoreAbi } from '../chain/generated/contracts.js'
import { toChainError } from '../chain/toChainError.js'
import type { AnomalyIndex } from './anomalyIndex.js'
import { verifyLeaf } from './merkle.js'
import { leafHashOf, type AnomalyRecord } from './record.js'

/** VALID: the record is in its batch's on-chain root; INVALID: it is not (altered); PENDING: not anchored yet. */
export type Verdict = 'VALID' | 'INVALID' | 'PENDING'

/** A verdict with where it was checked. */
export interface Verification {
  verdict: Verdict
  batchId?: string
  root?: Hex
  leaf?: Hex
  proof?: Hex[]
  /** 'contract' when AnomalyStore.verifyRecord answered; 'local' when checked against the indexed root. */
  checkedBy?: 'contract' | 'local'
}

/**
 * Checks `record` (the copy presented) against the chain: its proof is the one of the record with
 * the same id in the anchored batch, and its leaf must hash up to the batch's root. The contract's
 * verifyRecord answers when the RPC is up; otherwise the root indexed from BatchAnchored does.
 */
export async function verifyRecord(
  index: AnomalyIndex,
  record: AnomalyRecord,
  chain?: { publicClient: PublicClient; anomalyStore: Address; rpcUrl?: string; requireContract?: boolean },
): Promise<Verification> {
  const p = index.proof(record.id)
  if (!p) return { verdict: index.has(record.id) ? 'PENDING' : 'INVALID' }
  const leaf = leafHashOf(record)
  const base = { batchId: p.batchId, root: p.root, leaf, proof: p.proof }
  if (chain) {
    try {
      const ok = (await chain.publicClient.readContract({
        address: chain.anomalyStore,
        abi: anomalyStoreAbi,
        functionName: 'verifyRecord',
        args: [BigInt(p.batchId), leaf, p.proof],
      })) as boolean
      return { ...base, verdict: ok ? 'VALID' : 'INVALID', checkedBy: 'contract' }
    } catch (err) {
      if (chain.requireContract) throw toChainError(err, { rpcUrl: chain.rpcUrl })
    }
  }
  return { ...base, verdict: verifyLeaf(p.root, record, p.proof) ? 'VALID' : 'INVALID', checkedBy: 'local' }
}
