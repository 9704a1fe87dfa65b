import type { ChainConnection } from '../../chain/connectChain.js'
import type { Deployment } from '../../chain/profile.js'
import type { SealingPool } from '../../chain/sealingPool.js'
import { buildClientSpec } from '../../chain/records/clientRecord.js'
import type { ChainView } from '../../chain/view/createChainView.js'
import { openProfileView } from '../../chain/view/openProfileView.js'
import { chainSecurityStore, clientSecurityOf } from '../../daemons/stores/chainSecurityStore.js'
import { LwchainError, UsageError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'
import { createInMemorySecurityStore, type ClientSecurity, type SecurityStore } from '../../lwm2m/security-store.js'
import { parseImportFile } from '../client/parseImportFile.js'

/** The `--store` / `--clients` options both daemons take. */
export interface SecurityStoreOptions {
  configDir?: string
  rpc?: string
  /** `chain` (default): authenticate from the live ChainView. `memory`: an in-memory store seeded once. */
  store?: string
  /** With `--store memory`: seed from this JSON file (what `lwchain client add --json` prints, in an array). */
  clients?: string
  /** The view's cursor file in the config dir, one per daemon. */
  cursorName: string
  /** ChainView poll interval, ms (tests use a short one). */
  pollIntervalMs?: number
  /** newHeads WebSocket URL; default derived from the RPC URL; false: follow by polling only. */
  headsUrl?: string | false
  /** The daemon's sealing pool: the view opens its sealed values there, off the event loop. */
  sealingPool?: SealingPool
  logger: Logger
}

/** A daemon's SecurityStore and what was opened to build it. */
export interface OpenedSecurityStore {
  store: 'chain' | 'memory'
  security: SecurityStore
  /** The running ChainView behind a chain store; the daemon's owner stops it after the daemon. */
  liveView?: ChainView
  /**
   * The profile's view, connection and deployment, whenever the profile was opened (not with
   * `--clients`). With `--store memory` the view is stopped: a snapshot of one sync.
   */
  profile?: { view: ChainView; conn: ChainConnection; deployment: Deployment; configDir: string }
}

/**
 * Builds a daemon's SecurityStore from `--store` and `--clients`: the live ChainView (default),
 * or an in-memory store seeded once, from a file or from one chain sync (the side-by-side baseline).
 */
export async function openSecurityStore(o: SecurityStoreOptions): Promise<OpenedSecurityStore> {
  const store = o.store ?? 'chain'
  if (store !== 'chain' && store !== 'memory') throw new UsageError(`--store must be chain or memory, not "${store}"`)
  if (o.clients !== undefined && store !== 'memory') throw new UsageError('--clients needs --store memory')
  if (o.clients !== undefined) return { store, security: createInMemorySecurityStore(readClientsFile(o.clients)) }

  const profile = await openProfileView({
    configDir: o.configDir,
    rpc: o.rpc,
    cursorName: o.cursorName,
    pollIntervalMs: o.pollIntervalMs,
    ...(o.headsUrl !== undefined && { headsUrl: o.headsUrl }),
    ...(o.sealingPool && { sealingPool: o.sealingPool }),
    logger: o.logger.child({ layer: 'chain-view' }),
  })
  await profile.view.start()
  if (store === 'chain') return { store, security: chainSecurityStore(profile.view), liveView: profile.view, profile }
  // One sync, then the chain is no longer consulted.
  const security = createInMemorySecurityStore(profile.view.clients().map(clientSecurityOf))
  await profile.view.stop()
  return { store, security, profile }
}

/** Reads a `--clients` file: every record must carry both identities and both keys (hex). */
export function readClientsFile(path: string): ClientSecurity[] {
  const rows = parseImportFile(path)
  return rows.map((row) => {
    const input = row.input
    if (row.error || !input) throw new UsageError(`${path}: record ${row.row}: ${row.error ?? 'unreadable'}`)
    const missing = (['bsIdentity', 'bsKey', 'serverIdentity', 'serverKey'] as const).filter((k) => !input[k])
    if (missing.length > 0) throw new UsageError(`${path}: record ${row.row} (${input.endpoint}) lacks ${missing.join(', ')}`)
    try {
      const { spec } = buildClientSpec(input)
      return { endpoint: spec.endpoint, version: 1, bootstrap: spec.bootstrap, server: spec.server }
    } catch (err) {
      if (err instanceof LwchainError) throw new UsageError(`${path}: record ${row.row}: ${err.shortMessage}`, { cause: err })
      throw err
    }
  })
}
