import type { Address, Hex, PublicClient } from 'viem'
import { clientStoreAbi } from '../generated/contracts.js'
import { toChainError } from '../toChainError.js'

/**
 * The sealing public key the chain holds now (ClientStore's; `keys rotate` sets both stores).
 * Writers seal to this rather than to the profile's copy, which a rotation run from another
 * machine leaves stale: a secret sealed to a retired key could never be opened again.
 */
export async function readSealingPublicKey(client: PublicClient, p: { clientStore: Address; rpcUrl?: string }): Promise<Hex> {
  try {
    return (await client.readContract({ address: p.clientStore, abi: clientStoreAbi, functionName: 'sealingPublicKey' })) as Hex
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
}
