import type { Hash } from 'viem'
import { UserNotFoundError } from '../../chain/errors.js'
import { emailHash } from '../../chain/hashes.js'
import { userEmailContext, userPasswordContext } from '../../chain/records/sealContexts.js'
import { sealValue } from '../../chain/records/sealValue.js'
import { parseRole, roleToName, validateEmail, validateUsername } from '../../chain/records/userRecord.js'
import { readUserRecord } from '../../chain/users/readUserRecord.js'
import { hashPassword } from '../../chain/users/password.js'
import { updateUser } from '../../chain/users/updateUser.js'
import { UsageError } from '../../errors/base.js'
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
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const current = await readUserRecord(conn.publicClient, {
    userStore: deployment.contracts.userStore,
    username,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (!current) throw new UserNotFoundError(username)
  const record = { ...current.record }
  const changed: string[] = []
  if (email !== undefined) {
    record.emailHash = emailHash(email)
    record.emailSealed = sealValue(deployment.sealingPublicKey, email, userEmailContext(username))
    changed.push('email')
  }
  if (role !== undefined) {
    record.role = role
    changed.push('role')
  }
  if (input.password !== undefined) {
    record.passwordSealed = sealValue(deployment.sealingPublicKey, await hashPassword(input.password), userPasswordContext(username))
    changed.push('password')
  }
  const { txHash } = await updateUser(conn, { userStore: deployment.contracts.userStore, record })
  return { username, role: roleToName(record.role), changed, version: current.version + 1, txHash }
}
