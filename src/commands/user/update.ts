import type { Hash } from 'viem'
import { parseRole, roleToName, validateEmail, validateUsername } from '../../chain/records/userRecord.js'
import { changeUser } from '../../chain/users/changeUser.js'
import { UsageError } from '../../errors/base.js'
import { readEmailKey } from '../../chain/profile.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface UserUpdateInput {
  username: string
  email?: string
  role?: string
  password?: string
}

/** Changes a user's e-mail, role and/or password; unchanged sealed fields are kept as they are. */
export async function runUserUpdate(
  o: ChainCommandOptions,
  input: UserUpdateInput,
): Promise<{ username: string; role: string; changed: string[]; version: number; txHash: Hash }> {
  const username = validateUsername(input.username)
  if (input.email === undefined && input.role === undefined && input.password === undefined) {
    throw new UsageError('nothing to update: give --email, --role and/or --password-stdin')
  }
  const email = input.email !== undefined ? validateEmail(input.email) : undefined
  const role = input.role !== undefined ? parseRole(input.role) : undefined
  const { profile, deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const { record, changed, version, txHash } = await changeUser(conn, {
    userStore: deployment.contracts.userStore,
    deployBlock: BigInt(deployment.deployBlock),
    sealingPublicKey: deployment.sealingPublicKey,
    // Only a new e-mail needs it; an old deployment can still change roles and passwords before migrating.
    emailKey: readEmailKey(profile),
    username,
    email,
    role,
    password: input.password,
  })
  return { username, role: roleToName(record.role), changed, version, txHash }
}
