import { roleToName } from '../../chain/records/userRecord.js'
import { readUserRecord } from '../../chain/users/readUserRecord.js'
import { UserNotFoundError } from '../../chain/errors.js'
import { validateUsername } from '../../chain/records/userRecord.js'
import { loadViewState } from '../../chain/view/loadViewState.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** A user as `user list` / `user show` print it: no e-mail, no password verifier. */
export interface UserListItem {
  username: string
  role: string
  version: number
}

/** Lists users from the store's events (no secrets). */
export async function runUserList(o: ChainCommandOptions): Promise<UserListItem[]> {
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const state = await loadViewState(conn.publicClient, { ...deployment.contracts, deployBlock: BigInt(deployment.deployBlock), rpcUrl: conn.rpcUrl })
  return state
    .users()
    .map((u) => ({ username: u.username, role: roleToName(u.role), version: u.version }))
    .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
}

/** Shows one user (no secrets). */
export async function runUserShow(o: ChainCommandOptions, username: string): Promise<UserListItem & { updatedAt: string }> {
  validateUsername(username)
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const read = await readUserRecord(conn.publicClient, {
    userStore: deployment.contracts.userStore,
    username,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (!read) throw new UserNotFoundError(username)
  return { username, role: roleToName(read.record.role), version: read.version, updatedAt: new Date(read.updatedAt * 1000).toISOString() }
}
