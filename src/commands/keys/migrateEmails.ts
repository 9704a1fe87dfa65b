import { randomBytes } from 'node:crypto'
import type { Hex } from 'viem'
import { EMAIL_KEY_BYTES } from '../../chain/hashes.js'
import { SealingKeyRing } from '../../chain/keys/keyRing.js'
import { readSealingPublicKey } from '../../chain/keys/readSealingPublicKey.js'
import { resealRecords, type ResealReport } from '../../chain/keys/resealRecords.js'
import { readEmailKey, readSealingKey, saveProfile, writeEmailKey } from '../../chain/profile.js'
import { requireKeyRole } from '../../chain/roles/requireRole.js'
import { sealingKeyToHex, sealingPublicKeyOf } from '../../chain/sealing.js'
import { SealingKeyError } from '../../chain/errors.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** What `user migrate-emails` prints. */
export interface MigrateEmailsResult {
  /** True when this run created the deployment's e-mail key. */
  createdKey: boolean
  emailKeyFile?: string
  reseal: ResealReport
}

/**
 * One-shot migration of a deployment from before keyed e-mail hashes: creates the e-mail key
 * (beside the sealing key, mode 0600) and rewrites every account whose lookup hash is the plain
 * keccak256 with HMAC-SHA256 under it (version-checked batches; the sealed values are re-sealed
 * to the current key on the way). Logins by e-mail work throughout: readers try both hashes.
 * The rewritten accounts' tokens end (their version changes). Old events keep the plain hashes:
 * history cannot be rewritten, only a fresh deployment has none.
 */
export async function runMigrateEmails(o: ChainCommandOptions, opts: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<MigrateEmailsResult> {
  const { profile, deployment, conn } = await openChain(o, { signer: true, deployment: true })
  await requireKeyRole(conn, { contracts: deployment.contracts, role: 'writer', what: 'the signer' })
  let emailKey = readEmailKey(profile)
  const createdKey = !emailKey
  let emailKeyFile = deployment.emailKeyFile
  if (!emailKey) {
    emailKey = new Uint8Array(randomBytes(EMAIL_KEY_BYTES))
    emailKeyFile = writeEmailKey(profile.configDir, emailKey)
    saveProfile(profile.configDir, { deployment: { ...deployment, emailKeyFile } })
  }
  const sealing = readSealingKey(profile)
  const publicKey = (await readSealingPublicKey(conn.publicClient, { clientStore: deployment.contracts.clientStore, rpcUrl: conn.rpcUrl })).toLowerCase() as Hex
  if (sealingKeyToHex(sealingPublicKeyOf(sealing)).toLowerCase() !== publicKey) {
    throw new SealingKeyError('the sealing key on chain is not this profile\'s: finish `lwchain keys rotate` first')
  }
  const reseal = await resealRecords(conn, {
    clientStore: deployment.contracts.clientStore,
    userStore: deployment.contracts.userStore,
    deployBlock: BigInt(deployment.deployBlock),
    ring: new SealingKeyRing(sealing),
    publicKey,
    emailKey,
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
  })
  return { createdKey, ...(emailKeyFile && { emailKeyFile }), reseal }
}
