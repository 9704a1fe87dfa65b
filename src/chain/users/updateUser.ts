import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { userStoreAbi } from '../generated/contracts.js'
import type { OnChainUserRecord } from '../records/userRecord.js'
import { writeAndWait } from '../writeAndWait.js'

export interface UpdateUserParameters {
  userStore: Address
  record: OnChainUserRecord
}

/** Replaces a user's record (role, e-mail, password). Fails with UserNotFoundError, EmailTakenError. */
export async function updateUser(conn: ChainConnection, p: UpdateUserParameters): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.userStore,
    abi: userStoreAbi,
    functionName: 'updateUser',
    args: [p.record],
    errorContext: { username: p.record.username },
  })
  return { txHash, block: receipt.blockNumber }
}
