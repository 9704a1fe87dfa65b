import type { Address, PublicClient } from 'viem'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { toChainError } from '../toChainError.js'

/**
 * Asks ClientStore whether `record` is exactly the endpoint's current record (the chain compares
 * it with its stored commitment): the on-chain "double check" of a record taken from events.
 */
export async function isClientCurrent(
  client: PublicClient,
  p: { clientStore: Address; record: OnChainClientRecord; rpcUrl?: string },
): Promise<boolean> {
  try {
    return (await client.readContract({
      address: p.clientStore,
      abi: clientStoreAbi,
      functionName: 'isCurrent',
      args: [p.record],
    } as never)) as boolean
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl, endpoint: p.record.endpoint })
  }
}
