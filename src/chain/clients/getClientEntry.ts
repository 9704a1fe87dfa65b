import type { Address, Hex, PublicClient } from 'viem'
import { clientStoreAbi } from '../generated/contracts.js'
import { endpointHash } from '../hashes.js'
import { revertOf, toChainError } from '../toChainError.js'

/** What ClientStore keeps per client: a commitment to the record, its version and time. */
export interface ClientEntryOnChain {
  commitment: Hex
  version: number
  updatedAt: number
}

/** Reads a client's on-chain entry; undefined when the endpoint is not registered. */
export async function getClientEntry(
  client: PublicClient,
  p: { clientStore: Address; endpoint: string; rpcUrl?: string },
): Promise<ClientEntryOnChain | undefined> {
  try {
    const e = (await client.readContract({
      address: p.clientStore,
      abi: clientStoreAbi,
      functionName: 'getClient',
      args: [endpointHash(p.endpoint)],
    } as never)) as { commitment: Hex; version: bigint; updatedAt: bigint }
    return { commitment: e.commitment, version: Number(e.version), updatedAt: Number(e.updatedAt) }
  } catch (err) {
    if (revertOf(err)?.errorName === 'ClientNotFound') return undefined
    throw toChainError(err, { rpcUrl: p.rpcUrl, endpoint: p.endpoint })
  }
}
