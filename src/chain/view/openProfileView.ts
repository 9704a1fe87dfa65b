import { join } from 'node:path'
import { connectChain, type ChainConnection } from '../connectChain.js'
import { DEFAULT_RPC_URL } from '../devAccounts.js'
import { SealingKeyRing } from '../keys/keyRing.js'
import { loadProfile, readEmailKey, readSealingKeyRing, requireDeployment, type Deployment } from '../profile.js'
import type { Logger } from '../../logger.js'
import { createChainView, type ChainView, type CreateChainViewOptions } from './createChainView.js'
import { webSocketUrlOf } from './headSubscription.js'

export interface OpenProfileViewOptions {
  /** Config dir holding the profile and sealing key (default: conf's). */
  configDir?: string
  /** RPC URL override (flag or env); else the profile's; else the embedded chain. */
  rpc?: string
  /** Unseal PSKs, e-mails and password verifiers (daemons need this). Default true. */
  withSealingKey?: boolean
  /** Default `<configDir>/<cursorName>`; pass a distinct name per daemon. */
  cursorName?: string
  pollIntervalMs?: number
  /**
   * Where to subscribe to new heads: default the RPC URL with ws(s):// (anvil serves both on one
   * port); false to poll only. An RPC without WebSocket is polled, as before.
   */
  headsUrl?: string | false
  /** Opens the sealed values in this pool, off the event loop (the daemons pass theirs). */
  sealingPool?: CreateChainViewOptions['sealingPool']
  logger?: Logger
}

/**
 * Builds a ChainView from a config dir's profile: connects (checking the chain id when the RPC
 * answers; an outage is tolerated so a snapshot can be served), reads the sealing key, and
 * persists its cursor in the config dir. The caller calls start() / stop().
 */
export async function openProfileView(
  o: OpenProfileViewOptions = {},
): Promise<{ view: ChainView; conn: ChainConnection; deployment: Deployment; configDir: string }> {
  const profile = loadProfile(o.configDir)
  const deployment = requireDeployment(profile)
  // Read-only: a view never signs, so it holds no key (not even anvil's account 0 on the embedded chain).
  const conn = await connectChain({ rpcUrl: o.rpc ?? profile.rpcUrl ?? DEFAULT_RPC_URL, expectedChainId: deployment.chainId, allowOffline: true, readOnly: true })
  const view = createChainView({
    publicClient: conn.publicClient,
    addresses: deployment.contracts,
    deployBlock: deployment.deployBlock,
    sealingKeys: o.withSealingKey === false ? undefined : profileKeyRing(profile.configDir, o.logger),
    emailKey: o.withSealingKey === false ? undefined : profileEmailKey(profile.configDir, readEmailKey(profile)),
    cursorFile: join(profile.configDir, o.cursorName ?? 'view-cursor.json'),
    pollIntervalMs: o.pollIntervalMs,
    headsUrl: o.headsUrl === false ? undefined : (o.headsUrl ?? webSocketUrlOf(conn.rpcUrl)),
    rpcUrl: conn.rpcUrl,
    expectedChainId: deployment.chainId,
    ...(o.sealingPool && { sealingPool: o.sealingPool }),
    logger: o.logger,
  })
  return { view, conn, deployment, configDir: profile.configDir }
}

/**
 * The profile's sealing keys as a ring that follows `keys rotate`: a key the chain announces and
 * the ring lacks is looked for again in the config dir (the rotation wrote it there first).
 */
function profileKeyRing(configDir: string, logger?: Logger): SealingKeyRing {
  const [current, ...others] = readSealingKeyRing(loadProfile(configDir))
  return new SealingKeyRing(current, others, () => readSealingKeyRing(loadProfile(configDir)), logger)
}

/** The e-mail key, looked for again until found: `user migrate-emails` may create it while the daemon runs. */
function profileEmailKey(configDir: string, atStart: Uint8Array | undefined): () => Uint8Array | undefined {
  let key = atStart
  return () => (key ??= readEmailKey(loadProfile(configDir)))
}
