import { connectChain, type ChainConnection } from '../../chain/connectChain.js'
import { DEFAULT_RPC_URL } from '../../chain/devAccounts.js'
import { loadProfile, requireDeployment, type Deployment, type Profile } from '../../chain/profile.js'
import { readSealingPublicKey } from '../../chain/keys/readSealingPublicKey.js'
import { loadSignerKey } from '../../chain/signerKey.js'
import type { Logger } from '../../logger.js'
import { silentLogger } from '../../logger.js'

/** What every chain command needs from the global options (DESIGN.md's contract). */
export interface ChainCommandOptions {
  /** `--config-dir` / LWCHAIN_CONFIG_DIR; default conf's (~/.config/lwchain-nodejs). */
  configDir?: string
  /** `--rpc` / LWCHAIN_RPC_URL; else the profile's; else the embedded chain. */
  rpc?: string
  /** `--private-key-file`; else LWCHAIN_PRIVATE_KEY; else the profile's; else anvil's account 0 on 31337. */
  privateKeyFile?: string
  logger?: Logger
}

/** The RPC URL to use: flag or env, then the profile, then the embedded chain's. */
export function resolveRpcUrl(o: ChainCommandOptions, profile: Profile): string {
  return o.rpc ?? profile.rpcUrl ?? DEFAULT_RPC_URL
}

/** Connects for a command: profile, RPC URL, signer (when `signer`), chain-id check against the profile. */
export async function openChain(
  o: ChainCommandOptions,
  opts: { signer: boolean; deployment: true },
): Promise<{ profile: Profile; deployment: Deployment; conn: ChainConnection; logger: Logger }>
export async function openChain(
  o: ChainCommandOptions,
  opts: { signer: boolean; deployment: false },
): Promise<{ profile: Profile; deployment?: Deployment; conn: ChainConnection; logger: Logger }>
export async function openChain(
  o: ChainCommandOptions,
  opts: { signer: boolean; deployment: boolean },
): Promise<{ profile: Profile; deployment?: Deployment; conn: ChainConnection; logger: Logger }> {
  const profile = loadProfile(o.configDir)
  let deployment = opts.deployment ? requireDeployment(profile) : profile.deployment
  const privateKey = loadSignerKey({
    privateKeyFile: o.privateKeyFile,
    envKey: process.env.LWCHAIN_PRIVATE_KEY,
    profileKeyFile: profile.privateKeyFile,
  })
  const conn = await connectChain({
    rpcUrl: resolveRpcUrl(o, profile),
    privateKey,
    expectedChainId: opts.deployment ? deployment?.chainId : undefined,
    requireSigner: opts.signer,
  })
  // Writers seal to the key on chain, not the profile's copy (a rotation run elsewhere leaves it stale).
  if (opts.signer && deployment) {
    deployment = { ...deployment, sealingPublicKey: await readSealingPublicKey(conn.publicClient, { clientStore: deployment.contracts.clientStore, rpcUrl: conn.rpcUrl }) }
  }
  return { profile, deployment, conn, logger: o.logger ?? silentLogger() }
}
