import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { writeAndWait } from '../writeAndWait.js'

export interface AddClientParameters {
  clientStore: Address
  record: OnChainClientRecord
}

/** Adds one client record (keys already sealed). Fails with ClientExistsError, IdentityTakenError... */
export async function addClient(conn: ChainConnection, p: AddClientParameters): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.clientStore,
    abi: clientStoreAbi,
    functionName: 'addClient',
    args: [p.record],
    errorContext: { endpoint: p.record.endpoint },
  })
  return { txHash, block: receipt.blockNumber }
}
