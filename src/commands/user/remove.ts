import type { Hash } from 'viem'
import { validateUsername } from '../../chain/records/userRecord.js'
import { removeUser } from '../../chain/users/removeUser.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** Removes a user (their tokens stop working). */
export async function runUserRemove(o: ChainCommandOptions, username: string): Promise<{ username: string; txHash: Hash }> {
  validateUsername(username)
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const { txHash } = await removeUser(conn, { userStore: deployment.contracts.userStore, username })
  return { username, txHash }
}
