import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import Conf from 'conf'
import { isAddress, type Address, type Hex } from 'viem'
import { LwchainError } from '../errors/base.js'
import { NotDeployedError, SealingKeyError } from './errors.js'

/** Contract addresses of one deployment. */
export interface ContractAddresses {
  clientStore: Address
  userStore: Address
  anomalyStore: Address
}

/** What `lwchain deploy` records: where the contracts are and where the sealing key lives. */
export interface Deployment {
  chainId: number
  contracts: ContractAddresses
  /** Block of the deployment; event scans start here. */
  deployBlock: string
  /** Hex of the sealing public key, as stored on chain. */
  sealingPublicKey: Hex
  /** Path of the sealing private key file (mode 0600), relative to the config dir or absolute. */
  sealingKeyFile: string
  /**
   * Older sealing keys still needed while `lwchain keys rotate` re-seals records to the new one;
   * deleted (files and entries) when it has finished.
   */
  retiringSealingKeyFiles?: string[]
  /** A key `keys rotate` generated but has not yet set on chain (so daemons can open what is sealed to it). */
  pendingSealingKeyFile?: string
  /**
   * Path of the e-mail key (32 random bytes, hex, mode 0600): the HMAC key of the e-mail lookup
   * hashes. Absent in deployments from before keyed hashes (`lwchain user migrate-emails` adds it).
   */
  emailKeyFile?: string
  deployer: Address
  deployedAt: string
}

/** The profile of one config dir: RPC URL, signer key path, deployment. */
export interface Profile {
  /** The directory holding the profile and the sealing key. */
  configDir: string
  rpcUrl?: string
  privateKeyFile?: string
  deployment?: Deployment
}

/** A profile file that cannot be parsed or has the wrong shape. */
export class ProfileError extends LwchainError {
  override name = 'ProfileError'
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'LWC_PROFILE', cause })
  }
}

interface Stored {
  rpcUrl?: string
  privateKeyFile?: string
  deployment?: Deployment
}

const SEALING_KEY_FILE = 'sealing-key.hex'
const EMAIL_KEY_FILE = 'email-key.hex'

function openStore(configDir?: string): Conf<Stored> {
  try {
    return new Conf<Stored>({
      projectName: 'lwchain',
      configName: 'profile',
      configFileMode: 0o600,
      ...(configDir ? { cwd: resolve(configDir) } : {}),
    })
  } catch (err) {
    throw new ProfileError(`cannot read the profile in ${configDir ?? 'the default config dir'}: ${(err as Error).message.split('\n')[0]}`, err)
  }
}

/** The config dir in use: `configDir` when given, else conf's default (~/.config/lwchain-nodejs). */
export function resolveConfigDir(configDir?: string): string {
  if (configDir) return resolve(configDir)
  return dirname(openStore().path)
}

/** Loads the profile of a config dir (an empty one when nothing was saved yet). */
export function loadProfile(configDir?: string): Profile {
  const store = openStore(configDir)
  const data = store.store
  const dir = dirname(store.path)
  if (data.deployment) validateDeployment(data.deployment, store.path)
  return { configDir: dir, rpcUrl: data.rpcUrl, privateKeyFile: data.privateKeyFile, deployment: data.deployment }
}

/** Saves fields of the profile (undefined fields are left as they are). */
export function saveProfile(configDir: string | undefined, fields: Partial<Stored>): Profile {
  const store = openStore(configDir)
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) store.set(k as keyof Stored, v as never)
  }
  return loadProfile(configDir)
}

/** The deployment of a profile, or NotDeployedError. */
export function requireDeployment(profile: Profile): Deployment {
  if (!profile.deployment) throw new NotDeployedError(profile.configDir)
  return profile.deployment
}

/** Writes the sealing private key (hex) into the config dir with mode 0600; returns the file name. */
export function writeSealingKey(configDir: string, privateKey: Uint8Array): string {
  return writeKeyFile(configDir, SEALING_KEY_FILE, privateKey)
}

/** Writes a secret key (hex) into the config dir as `name` with mode 0600; returns the file name. */
export function writeKeyFile(configDir: string, name: string, key: Uint8Array): string {
  mkdirSync(configDir, { recursive: true, mode: 0o700 })
  const path = join(configDir, name)
  writeFileSync(path, Buffer.from(key).toString('hex') + '\n', { mode: 0o600 })
  chmodSync(path, 0o600)
  return name
}

/** A key file's absolute path (profile paths are relative to the config dir unless absolute). */
export function keyFilePath(profile: Profile, file: string): string {
  return isAbsolute(file) ? file : join(profile.configDir, file)
}

/** Reads the sealing private key of a deployment (for daemons and `client show --reveal`). */
export function readSealingKey(profile: Profile): Uint8Array {
  return readNamedKey(keyFilePath(profile, requireDeployment(profile).sealingKeyFile), 'sealing private key')
}

/**
 * Every sealing private key the profile names that exists on disk, current first: during a
 * rotation (`keys rotate`) records may be sealed to a retiring or a pending key as well.
 */
export function readSealingKeyRing(profile: Profile): Uint8Array[] {
  const d = requireDeployment(profile)
  const keys = [readSealingKey(profile)]
  for (const file of [d.pendingSealingKeyFile, ...(d.retiringSealingKeyFiles ?? [])]) {
    if (file === undefined) continue
    const path = keyFilePath(profile, file)
    if (existsSync(path)) keys.push(readNamedKey(path, 'sealing private key'))
  }
  return keys
}

/** Creates the deployment's e-mail key (32 random bytes) in the config dir; returns the file name. */
export function writeEmailKey(configDir: string, key: Uint8Array): string {
  return writeKeyFile(configDir, EMAIL_KEY_FILE, key)
}

/** The deployment's e-mail key, or undefined for a deployment from before keyed e-mail hashes. */
export function readEmailKey(profile: Profile): Uint8Array | undefined {
  const file = requireDeployment(profile).emailKeyFile
  return file === undefined ? undefined : readNamedKey(keyFilePath(profile, file), 'e-mail key')
}

/** The e-mail key, or EmailKeyMissingError naming the migration command (for writers). */
export function requireEmailKey(profile: Profile): Uint8Array {
  const key = readEmailKey(profile)
  if (!key) throw new EmailKeyMissingError()
  return key
}

/** Writers refuse to put a plain e-mail hash on chain: the deployment must migrate first. */
export class EmailKeyMissingError extends LwchainError {
  override name = 'EmailKeyMissingError'
  constructor() {
    super('this deployment has no e-mail key (it predates keyed e-mail hashes): run `lwchain user migrate-emails` first', { code: 'LWC_EMAIL_KEY_MISSING' })
  }
}

/** Reads a hex key file (SealingKeyError when missing or not hex). */
export function readNamedKey(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new SealingKeyError(`the ${what} ${path} is missing`)
  const hex = readFileSync(path, 'utf8').trim().replace(/^0x/, '')
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) {
    throw new SealingKeyError(`the ${what} ${path} is not hex`)
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function validateDeployment(d: Deployment, path: string): void {
  const ok =
    d &&
    typeof d.chainId === 'number' &&
    d.contracts &&
    isAddress(d.contracts.clientStore) &&
    isAddress(d.contracts.userStore) &&
    isAddress(d.contracts.anomalyStore) &&
    typeof d.deployBlock === 'string' &&
    typeof d.sealingKeyFile === 'string'
  if (!ok) throw new ProfileError(`the deployment in ${path} is malformed: run \`lwchain deploy\` again`)
}
