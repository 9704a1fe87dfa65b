import type { Hash } from 'viem'
import { addUser } from '../../chain/users/addUser.js'
import { generatePassword, hashPassword } from '../../chain/users/password.js'
import { parseRole, roleToName, sealUserRecord, validateEmail, validateUsername } from '../../chain/records/userRecord.js'
import { requireEmailKey } from '../../chain/profile.js'
import { asUsage } from '../lib/commandOptions.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface UserAddInput {
  username: string
  email: string
  role: string
  /** Given (from stdin) or generated and returned once. */
  password?: string
}

export interface UserAddResult {
  username: string
  role: string
  email: string
  /** Only when generated: printed once. */
  password?: string
  txHash: Hash
}

/** Adds a user: the e-mail is sealed and hashed, the password kept only as a sealed scrypt verifier. */
export async function runUserAdd(o: ChainCommandOptions, input: UserAddInput): Promise<UserAddResult> {
  const { username, email, role } = asUsage(() => ({
    username: validateUsername(input.username),
    email: validateEmail(input.email),
    role: parseRole(input.role),
  }))
  const generated = input.password === undefined ? generatePassword() : undefined
  const password = input.password ?? generated!
  const { profile, deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const emailKey = requireEmailKey(profile)
  const record = sealUserRecord({ username, role, email, passwordVerifier: await hashPassword(password) }, deployment.sealingPublicKey, emailKey)
  const { txHash } = await addUser(conn, { userStore: deployment.contracts.userStore, record })
  return { username, role: roleToName(role), email, ...(generated ? { password: generated } : {}), txHash }
}
