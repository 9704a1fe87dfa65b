import { stringToHex, type Address, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../chain/generated/contracts.js'
import { isUnreachable, toChainError } from '../chain/toChainError.js'
import type { AnomalyIndex } from './anomalyIndex.js'
import { verifyLeaf } from './merkle.js'
import { canonicalJson, leafHashOf, type AnomalyRecord } from './record.js'

/** VALID: the record is in its batch's on-chain root; INVALID: it is not (altered); PENDING: not anchored yet. */
export type Verdict = 'VALID' | 'INVALID' | 'PENDING'

/** A verdict with where it was checked. */
export interface Verification {
  verdict: Verdict
  batchId?: string
  root?: Hex
  leaf?: Hex
  proof?: Hex[]
  /**
   * 'contract': AnomalyStore.verifyRecord answered (it hashes the leaf from the record's fields).
   * 'chain-root': the contract predates that (it took a raw leaf), so the leaf was hashed here and
   * checked against the root the contract returned. 'local': against the indexed root (RPC down).
   */
  checkedBy?: 'contract' | 'chain-root' | 'local'
}

/** The record as AnomalyStore.verifyRecord takes it: data as its canonical JSON bytes. */
export function contractRecordOf(r: AnomalyRecord): { id: string; endpoint: string; level: number; collectedAt: bigint; data: Hex } {
  return { id: r.id, endpoint: r.endpoint, level: r.level, collectedAt: BigInt(r.collectedAt), data: stringToHex(canonicalJson(r.data)) }
}

/**
 * Checks `record` (the copy presented) against the chain: its proof is the one of the record with
 * the same id in the anchored batch, and its leaf, hashed from its fields, must hash up to the
 * batch's root. The contract's verifyRecord answers when the RPC is up; otherwise the root
 * indexed from BatchAnchored does. Nowhere is a caller's leaf hash trusted, so an interior node of
 * the tree never verifies.
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
    const read = (functionName: 'verifyRecord' | 'batchRoot', args: readonly unknown[]) =>
      chain.publicClient.readContract({ address: chain.anomalyStore, abi: anomalyStoreAbi, functionName, args } as never) as Promise<unknown>
    try {
      const ok = (await read('verifyRecord', [BigInt(p.batchId), contractRecordOf(record), p.proof])) as boolean
      return { ...base, verdict: ok ? 'VALID' : 'INVALID', checkedBy: 'contract' }
    } catch (err) {
      if (!isUnreachable(err)) {
        // A store deployed before verifyRecord took records has no such function; its root still decides.
        const root = (await read('batchRoot', [BigInt(p.batchId)]).catch(() => undefined)) as Hex | undefined
        if (root) return { ...base, root, verdict: verifyLeaf(root, record, p.proof) ? 'VALID' : 'INVALID', checkedBy: 'chain-root' }
      }
      if (chain.requireContract) throw toChainError(err, { rpcUrl: chain.rpcUrl })
    }
  }
  return { ...base, verdict: verifyLeaf(p.root, record, p.proof) ? 'VALID' : 'INVALID', checkedBy: 'local' }
}
