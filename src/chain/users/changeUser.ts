import type { Address, Hash, Hex } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { UserNotFoundError } from '../errors.js'
import { emailHash } from '../hashes.js'
import { EmailKeyMissingError } from '../profile.js'
import { userEmailContext, userPasswordContext } from '../records/sealContexts.js'
import { inlineSealer, sealValues, type Sealer } from '../records/sealValue.js'
import type { OnChainUserRecord } from '../records/userRecord.js'
import { hashPassword } from './password.js'
import { readUserRecord } from './readUserRecord.js'
import { updateUser } from './updateUser.js'

export interface ChangeUserParameters {
  userStore: Address
  deployBlock: bigint
  sealingPublicKey: Hex | Uint8Array
  /** The deployment's e-mail key (readEmailKey): a new e-mail's lookup hash is keyed with it (needed with `email`). */
  emailKey?: Uint8Array
  /** Already validated. */
  username: string
  /** Already validated; undefined keeps the sealed e-mail as it is. */
  email?: string
  /** A parsed role; undefined keeps it. */
  role?: number
  /** Plaintext; hashed and sealed here. Undefined keeps the sealed verifier as it is. */
  password?: string
  /** Who seals (the server daemon's pool); default: this thread. */
  sealer?: Sealer
}

export interface ChangeUserResult {
  record: OnChainUserRecord
  /** Which of 'email', 'role', 'password' were written, in that order. */
  changed: string[]
  /** The record's version after the update. */
  version: number
  txHash: Hash
  block: bigint
}

/**
 * Reads a user's record, applies the given changes and writes it back (`user update` and the
 * admin API). Unchanged sealed fields are kept byte for byte, so nothing is re-sealed needlessly.
 * Fails with UserNotFoundError, EmailTakenError.
 */
export async function changeUser(conn: ChainConnection, p: ChangeUserParameters): Promise<ChangeUserResult> {
  const current = await readUserRecord(conn.publicClient, {
    userStore: p.userStore,
    username: p.username,
    deployBlock: p.deployBlock,
    rpcUrl: conn.rpcUrl,
  })
  if (!current) throw new UserNotFoundError(p.username)
  const record = { ...current.record }
  const changed: string[] = []
  if (p.email !== undefined) {
    if (!p.emailKey) throw new EmailKeyMissingError()
    record.emailHash = emailHash(p.email, p.emailKey)
    record.emailSealed = (await sealValues(p.sealer ?? inlineSealer, p.sealingPublicKey, [{ plaintext: p.email, context: userEmailContext(p.username) }]))[0]
    changed.push('email')
  }
  if (p.role !== undefined) {
    record.role = p.role
    changed.push('role')
  }
  if (p.password !== undefined) {
    const verifier = await hashPassword(p.password)
    record.passwordSealed = (await sealValues(p.sealer ?? inlineSealer, p.sealingPublicKey, [{ plaintext: verifier, context: userPasswordContext(p.username) }]))[0]
    changed.push('password')
  }
  const { txHash, block } = await updateUser(conn, { userStore: p.userStore, record })
  return { record, changed, version: current.version + 1, txHash, block }
}
