import type { Address, Hash } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { userStoreAbi } from '../generated/contracts.js'
import type { OnChainUserRecord } from '../records/userRecord.js'
import { writeAndWait } from '../writeAndWait.js'

export interface AddUserParameters {
  userStore: Address
  record: OnChainUserRecord
}

/** Adds a user (e-mail and password verifier already sealed). Fails with UserExistsError, EmailTakenError. */
export async function addUser(conn: ChainConnection, p: AddUserParameters): Promise<{ txHash: Hash; block: bigint }> {
  const { txHash, receipt } = await writeAndWait(conn, {
    address: p.userStore,
    abi: userStoreAbi,
    functionName: 'addUser',
    args: [p.record],
    errorContext: { username: p.record.username },
  })
  return { txHash, block: receipt.blockNumber }
}
