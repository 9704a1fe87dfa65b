import { existsSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Address, Hex } from 'viem'
import { connectChain } from '../../chain/connectChain.js'
import { deployContracts } from '../../chain/deployContracts.js'
import { WrongChainError } from '../../chain/errors.js'
import { randomBytes } from 'node:crypto'
import { loadProfile, saveProfile, writeEmailKey, writeSealingKey, type ContractAddresses } from '../../chain/profile.js'
import { EMAIL_KEY_BYTES } from '../../chain/hashes.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../../chain/sealing.js'
import { loadSignerKey } from '../../chain/signerKey.js'
import { toChainError } from '../../chain/toChainError.js'
import { LwchainError, redactUrl } from '../../errors/base.js'
import { resolveRpcUrl, type ChainCommandOptions } from '../lib/context.js'

/** The config dir already has a live deployment; deploying again needs --force. */
export class AlreadyDeployedError extends LwchainError {
  override name = 'AlreadyDeployedError'
  constructor(clientStore: string) {
    super(`already deployed (ClientStore at ${clientStore}); pass --force to deploy a new set with a new sealing key`, {
      code: 'LWC_ALREADY_DEPLOYED',
    })
  }
}

export interface DeployResult {
  rpc: string
  chainId: number
  contracts: ContractAddresses
  deployBlock: string
  deployer: Address
  sealingPublicKey: Hex
  sealingKeyFile: string
  configDir: string
}

/**
 * Deploys the three stores with a fresh sealing key pair: the public key goes on chain, the
 * private key into the config dir (0600), and the profile records addresses, chain id and RPC.
 */
export async function runDeploy(o: ChainCommandOptions, opts: { force?: boolean } = {}): Promise<DeployResult> {
  const profile = loadProfile(o.configDir)
  const rpcUrl = resolveRpcUrl(o, profile)
  const privateKey = loadSignerKey({ privateKeyFile: o.privateKeyFile, envKey: process.env.LWCHAIN_PRIVATE_KEY, profileKeyFile: profile.privateKeyFile })
  const conn = await connectChain({ rpcUrl, privateKey, requireSigner: true })
  const old = profile.deployment
  if (old && !opts.force) {
    if (old.chainId !== conn.chainId) throw new WrongChainError(old.chainId, conn.chainId)
    const code = await conn.publicClient.getCode({ address: old.contracts.clientStore }).catch((err) => {
      throw toChainError(err, { rpcUrl })
    })
    // A deployment whose contracts are gone (the chain was reset) may be replaced silently.
    if (code && code !== '0x') throw new AlreadyDeployedError(old.contracts.clientStore)
  }
  const keys = generateSealingKeyPair()
  let deployed
  try {
    deployed = await deployContracts(conn.walletClient!, conn.publicClient, { sealingPublicKey: keys.publicKey })
  } catch (err) {
    throw toChainError(err, { rpcUrl })
  }
  // Keep the previous sealing key: records sealed to it can still be opened by hand.
  const keyPath = join(profile.configDir, 'sealing-key.hex')
  if (existsSync(keyPath)) renameSync(keyPath, join(profile.configDir, `sealing-key.${Date.now()}.hex`))
  const sealingKeyFile = writeSealingKey(profile.configDir, keys.privateKey)
  // A new deployment, a new e-mail key: lookup hashes of one deployment say nothing about another's.
  const emailKeyPath = join(profile.configDir, 'email-key.hex')
  if (existsSync(emailKeyPath)) renameSync(emailKeyPath, join(profile.configDir, `email-key.${Date.now()}.hex`))
  const emailKeyFile = writeEmailKey(profile.configDir, randomBytes(EMAIL_KEY_BYTES))
  const contracts = { clientStore: deployed.clientStore, userStore: deployed.userStore, anomalyStore: deployed.anomalyStore }
  const sealingPublicKey = sealingKeyToHex(keys.publicKey)
  saveProfile(o.configDir, {
    rpcUrl,
    // Only the path of the signer key file is remembered, never a key.
    privateKeyFile: o.privateKeyFile ? resolve(o.privateKeyFile) : undefined,
    deployment: {
      chainId: conn.chainId,
      contracts,
      deployBlock: deployed.deployBlock.toString(),
      sealingPublicKey,
      sealingKeyFile,
      emailKeyFile,
      deployer: conn.account!.address,
      deployedAt: new Date().toISOString(),
    },
  })
  return {
    rpc: redactUrl(rpcUrl),
    chainId: conn.chainId,
    contracts,
    deployBlock: deployed.deployBlock.toString(),
    deployer: conn.account!.address,
    sealingPublicKey,
    sealingKeyFile: join(profile.configDir, sealingKeyFile),
    configDir: profile.configDir,
  }
}
