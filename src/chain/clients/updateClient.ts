import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { clientStoreAbi } from '../generated/contracts.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { writeAndWait } from '../writeAndWait.js'

export interface UpdateClientParameters {
  clientStore: Address
  record: OnChainClientRecord
}

/** Replaces a client's record (e.g. to move it to another server). Fails with ClientNotFoundError. */
export async function updateClient(conn: ChainConnection, p: UpdateClientParameters): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.clientStore,
    abi: clientStoreAbi,
    functionName: 'updateClient',
    args: [p.record],
    errorContext: { endpoint: p.record.endpoint },
  })
  return { txHash, block: receipt.blockNumber }
}
