import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { clientStoreAbi } from '../generated/contracts.js'
import { writeAndWait } from '../writeAndWait.js'

export interface RemoveClientParameters {
  clientStore: Address
  endpoint: string
}

/** Removes a client, revoking it everywhere. Fails with ClientNotFoundError. */
export async function removeClient(conn: ChainConnection, p: RemoveClientParameters): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.clientStore,
    abi: clientStoreAbi,
    functionName: 'removeClient',
    args: [p.endpoint],
    errorContext: { endpoint: p.endpoint },
  })
  return { txHash, block: receipt.blockNumber }
}
