import { connectChain, type ChainConnection } from '../../chain/connectChain.js'
import { loadProfile, type Deployment } from '../../chain/profile.js'
import { requireKeyRole } from '../../chain/roles/requireRole.js'
import type { DeploymentRole } from '../../chain/roles/roles.js'
import { loadSignerKey } from '../../chain/signerKey.js'
import type { Logger } from '../../logger.js'

/**
 * The keys `serve server` signs with, each checked at start for the one role its job needs:
 *  - the anomaly ledger's key (`--private-key-file`, LWCHAIN_PRIVATE_KEY, the profile's, or anvil's
 *    account 0 on the embedded chain) needs poster;
 *  - the admin routes' key (`--writer-key-file`, optional) needs writer.
 * A key lacking its role fails the start with one line naming the role (MissingRoleError), before
 * the ledger sends anything. A key holding more than it needs is a warning: fine for `dev`, not
 * the production layout.
 */
export interface DaemonKeys {
  poster?: ChainConnection
  writer?: ChainConnection
}

export interface DaemonKeyOptions {
  configDir?: string
  privateKeyFile?: string
  writerKeyFile?: string
  /** `dev`: one key for everything (the writer connection is the poster's, no least-privilege warning). */
  singleKey?: boolean
  logger: Logger
}

/** Connects the server's signers and checks their roles (see DaemonKeys). */
export async function openDaemonKeys(o: DaemonKeyOptions, rpcUrl: string, deployment: Deployment): Promise<DaemonKeys> {
  const profile = loadProfile(o.configDir)
  const connect = async (privateKey: `0x${string}` | undefined) => {
    const conn = await connectChain({ rpcUrl, privateKey, expectedChainId: deployment.chainId, allowOffline: true })
    return conn.walletClient ? conn : undefined
  }
  const poster = await connect(loadSignerKey({ privateKeyFile: o.privateKeyFile, envKey: process.env.LWCHAIN_PRIVATE_KEY, profileKeyFile: profile.privateKeyFile }))
  const writer = o.writerKeyFile !== undefined ? await connect(loadSignerKey({ privateKeyFile: o.writerKeyFile })) : o.singleKey ? poster : undefined
  if (poster) await check(poster, 'poster', 'the anomaly ledger key', o, deployment)
  if (writer && writer !== poster) await check(writer, 'writer', 'the writer key (--writer-key-file)', o, deployment)
  else if (writer) await check(writer, 'writer', 'the writer key', o, deployment)
  return { ...(poster && { poster }), ...(writer && { writer }) }
}

async function check(conn: ChainConnection, role: DeploymentRole, what: string, o: DaemonKeyOptions, deployment: Deployment): Promise<void> {
  const r = await requireKeyRole(conn, { contracts: deployment.contracts, role, what })
  const account = conn.account!.address
  if (!r.checked) o.logger.warn({ account, role }, `cannot check ${what}'s ${role} role now (chain unreachable); it is checked again at its first write`)
  else if (r.extra.length > 0 && !o.singleKey) {
    o.logger.warn({ account, role, extra: r.extra }, `${what} ${account} also holds ${r.extra.join(', ')}: in production give it only the ${role} role (README, least privilege)`)
  }
}
