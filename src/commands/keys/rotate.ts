import { randomBytes } from 'node:crypto'
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Hash, Hex } from 'viem'
import { EMAIL_KEY_BYTES } from '../../chain/hashes.js'
import { clientStoreAbi, userStoreAbi } from '../../chain/generated/contracts.js'
import { SealingKeyRing } from '../../chain/keys/keyRing.js'
import { readSealingPublicKey } from '../../chain/keys/readSealingPublicKey.js'
import { resealRecords, type ResealReport } from '../../chain/keys/resealRecords.js'
import { keyFilePath, readEmailKey, readNamedKey, saveProfile, writeEmailKey, writeKeyFile, type Deployment, type Profile } from '../../chain/profile.js'
import { requireKeyRole } from '../../chain/roles/requireRole.js'
import { generateSealingKeyPair, sealingKeyToHex, sealingPublicKeyOf } from '../../chain/sealing.js'
import { writeAndWait } from '../../chain/writeAndWait.js'
import { LwchainError } from '../../errors/base.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface KeysRotateOptions {
  /** Records per re-seal transaction. Default 50. */
  batchSize?: number
  /** Progress of the re-seal (records done, records to do). */
  onProgress?: (done: number, total: number) => void | Promise<void>
}

/** What `keys rotate` prints. */
export interface KeysRotateResult {
  oldPublicKey: Hex
  newPublicKey: Hex
  /** The new private key's file (mode 0600). */
  keyFile: string
  /** True when an interrupted rotation was finished rather than a new one started. */
  resumed: boolean
  /** setSealingPublicKey transactions (none for a store already switched). */
  keyTransactions: Hash[]
  reseal: ResealReport
  /** Old private key files deleted at the end. */
  deleted: string[]
}

/** Some records could still not be re-sealed; the old key is kept so that nothing is lost. */
export class RotationIncompleteError extends LwchainError {
  override name = 'RotationIncompleteError'
  constructor(left: number) {
    super(`records are still sealed to the old key (${left} refused as changed during the rotation): run \`lwchain keys rotate\` again to finish`, { code: 'LWC_ROTATION_INCOMPLETE' })
  }
}

/**
 * Rotates the deployment's sealing key: a new X25519 pair (private key beside the old one, mode
 * 0600), the new public key set on ClientStore and UserStore (admin role), every client and user
 * record re-sealed to it in version-checked batches (writer role), then the old private key
 * deleted. Each step is recorded in the profile first, so an interrupted run resumes where it
 * stopped instead of losing a key. Daemons on this config dir follow without a restart.
 */
export async function runKeysRotate(o: ChainCommandOptions, opts: KeysRotateOptions = {}): Promise<KeysRotateResult> {
  const { profile, deployment, conn } = await openChain(o, { signer: true, deployment: true })
  // Both roles are checked before anything is generated or sent.
  await requireKeyRole(conn, { contracts: deployment.contracts, role: 'admin', what: 'the signer' })
  await requireKeyRole(conn, { contracts: deployment.contracts, role: 'writer', what: 'the signer' })

  const resumed = deployment.pendingSealingKeyFile !== undefined || (deployment.retiringSealingKeyFiles?.length ?? 0) > 0
  let d = deployment
  const oldPublicKey = (await readSealingPublicKey(conn.publicClient, { clientStore: d.contracts.clientStore, rpcUrl: conn.rpcUrl })).toLowerCase() as Hex
  // 1. The new key, on disk and in the profile before it goes on chain (or the one an interrupted run made).
  if (d.pendingSealingKeyFile === undefined && !resumed) {
    const pair = generateSealingKeyPair()
    const name = `sealing-key-${Date.now()}.hex`
    writeKeyFile(profile.configDir, name, pair.privateKey)
    d = save(profile, { ...d, pendingSealingKeyFile: name })
  }
  const newFile = d.pendingSealingKeyFile ?? d.sealingKeyFile
  const newPrivate = readKey(profile, newFile)
  const newPublicKey = sealingKeyToHex(sealingPublicKeyOf(newPrivate)).toLowerCase() as Hex

  // 2. On chain, store by store (a store already switched is skipped).
  const keyTransactions: Hash[] = []
  for (const [address, abi] of [
    [d.contracts.clientStore, clientStoreAbi],
    [d.contracts.userStore, userStoreAbi],
  ] as const) {
    const onChain = ((await conn.publicClient.readContract({ address, abi, functionName: 'sealingPublicKey' })) as Hex).toLowerCase()
    if (onChain === newPublicKey) continue
    const { txHash } = await writeAndWait(conn, { address, abi: abi as never, functionName: 'setSealingPublicKey', args: [newPublicKey] })
    keyTransactions.push(txHash)
  }

  // 3. The profile: the new key current, the old ones retiring until every record is re-sealed.
  if (d.pendingSealingKeyFile !== undefined) {
    const retiring = [d.sealingKeyFile, ...(d.retiringSealingKeyFiles ?? [])]
    d = save(profile, { ...d, sealingKeyFile: newFile, sealingPublicKey: newPublicKey, retiringSealingKeyFiles: retiring, pendingSealingKeyFile: undefined })
  }
  // A deployment from before keyed e-mail hashes migrates in the same pass.
  let emailKey = readEmailKey(profile)
  if (!emailKey) {
    emailKey = new Uint8Array(randomBytes(EMAIL_KEY_BYTES))
    d = save(profile, { ...d, emailKeyFile: writeEmailKey(profile.configDir, emailKey) })
  }

  // 4. Re-seal everything to the new key.
  const retiringKeys = (d.retiringSealingKeyFiles ?? []).filter((f) => existsSync(keyFilePath(profile, f))).map((f) => readKey(profile, f))
  const ring = new SealingKeyRing(newPrivate, retiringKeys)
  const reseal = await resealRecords(conn, {
    clientStore: d.contracts.clientStore,
    userStore: d.contracts.userStore,
    deployBlock: BigInt(d.deployBlock),
    ring,
    publicKey: newPublicKey,
    emailKey,
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
  })
  if (!reseal.complete) throw new RotationIncompleteError(reseal.retried)

  // 5. Nothing is sealed to the old keys any more: delete them.
  const deleted: string[] = []
  for (const f of d.retiringSealingKeyFiles ?? []) {
    const path = keyFilePath(profile, f)
    if (existsSync(path)) {
      // Overwrite before unlinking, so the bytes do not linger in the file's blocks.
      writeFileSync(path, Buffer.alloc(statSync(path).size))
      rmSync(path)
    }
    deleted.push(path)
  }
  for (const k of retiringKeys) k.fill(0)
  save(profile, { ...d, retiringSealingKeyFiles: undefined })
  return { oldPublicKey, newPublicKey, keyFile: keyFilePath(profile, newFile), resumed, keyTransactions, reseal, deleted }
}

function save(profile: Profile, d: Deployment): Deployment {
  const clean = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as unknown as Deployment
  return saveProfile(profile.configDir, { deployment: clean }).deployment!
}

function readKey(profile: Profile, file: string): Uint8Array {
  return readNamedKey(keyFilePath(profile, file), 'sealing private key')
}
