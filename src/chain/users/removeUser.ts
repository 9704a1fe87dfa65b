import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { userStoreAbi } from '../generated/contracts.js'
import { writeAndWait } from '../writeAndWait.js'

/** Removes a user; their tokens stop working. Fails with UserNotFoundError. */
export async function removeUser(conn: ChainConnection, p: { userStore: Address; username: string }): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.userStore,
    abi: userStoreAbi,
    functionName: 'removeUser',
    args: [p.username],
    errorContext: { username: p.username },
  })
  return { txHash, block: receipt.blockNumber }
}
