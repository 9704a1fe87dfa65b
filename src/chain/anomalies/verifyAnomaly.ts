import { keccak256, type Address, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { endpointHash } from '../hashes.js'
import { AnomalyNotFoundError } from '../errors.js'
import { revertOf, toChainError } from '../toChainError.js'

/** Outcome of checking an anomaly's event against what AnomalyStore stored for it. */
export interface AnomalyVerification {
  id: bigint
  valid: boolean
  /** Why it is invalid (empty when valid). */
  problems: string[]
  endpoint?: string
  level?: number
  collectedAt?: bigint
}

/**
 * Verifies anomaly `id`: the AnomalyPosted event's endpoint and data must hash to what the
 * contract stored, and level/time/poster must match. Fails with AnomalyNotFoundError.
 */
export async function verifyAnomaly(
  client: PublicClient,
  p: { anomalyStore: Address; id: bigint; deployBlock: bigint; rpcUrl?: string },
): Promise<AnomalyVerification> {
  let stored: { endpointHash: Hex; dataHash: Hex; collectedAt: bigint; level: number; poster: Address }
  try {
    stored = (await client.readContract({ address: p.anomalyStore, abi: anomalyStoreAbi, functionName: 'getAnomaly', args: [p.id] } as never)) as never
  } catch (err) {
    if (revertOf(err)?.errorName === 'AnomalyNotFound') throw new AnomalyNotFoundError(p.id)
    throw toChainError(err, { rpcUrl: p.rpcUrl, anomalyId: p.id })
  }
  let events: { args: { endpoint: string; data: Hex; level: number; collectedAt: bigint; dataHash: Hex; poster: Address } }[]
  try {
    events = (await client.getContractEvents({
      address: p.anomalyStore,
      abi: anomalyStoreAbi,
      eventName: 'AnomalyPosted',
      args: { id: p.id },
      fromBlock: p.deployBlock,
    } as never)) as never
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  const problems: string[] = []
  const ev = events[0]?.args
  if (!ev) return { id: p.id, valid: false, problems: ['no AnomalyPosted event for this id'] }
  if (events.length > 1) problems.push('more than one AnomalyPosted event for this id')
  if (keccak256(ev.data) !== stored.dataHash) problems.push('data does not match the stored hash')
  if (endpointHash(ev.endpoint) !== stored.endpointHash) problems.push('endpoint does not match the stored hash')
  if (Number(ev.level) !== Number(stored.level)) problems.push('level differs')
  if (ev.collectedAt !== stored.collectedAt) problems.push('timestamp differs')
  if (ev.poster.toLowerCase() !== stored.poster.toLowerCase()) problems.push('poster differs')
  return { id: p.id, valid: problems.length === 0, problems, endpoint: ev.endpoint, level: Number(ev.level), collectedAt: ev.collectedAt }
}
