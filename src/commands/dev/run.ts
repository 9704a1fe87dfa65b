import { ChainStateInUseError, startEmbeddedChain, type EmbeddedChain } from '../../chain/anvil.js'
import { connectChain } from '../../chain/connectChain.js'
import { loadProfile, saveProfile } from '../../chain/profile.js'
import type { ClientView } from '../../chain/view/types.js'
import { LwchainError, UsageError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'
import type { DeviceState, DeviceTimers } from '../../simulator/index.js'
import { parsePort } from '../chain/start.js'
import { runClientMove } from '../client/move.js'
import { runDeploy } from '../deploy/run.js'
import type { ChainCommandOptions } from '../lib/context.js'
import { positiveInt } from '../lib/commandOptions.js'
import { stopInOrder, type StopStep } from '../lib/stopInOrder.js'
import { runServeBootstrap, type RunningBootstrap } from '../serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../serve/server.js'
import type { SimDeviceSpec } from '../simulate/credentials.js'
import { createFleet, type Fleet } from '../simulate/fleet.js'
import { provisionSimDevices } from '../simulate/provision.js'
import { ensureDevAdmin, type DevAdmin } from './admin.js'
import { DEFAULT_DEV_PORTS, devLayout, lockDevDataDir, readDevPorts, writeDevPorts, type DevLayout, type DevPorts } from './layout.js'

/** Options of `lwchain dev` (strings as commander gives them). */
export interface DevOptions {
  /** Start this many simulated devices (demo-1..demo-N), provisioned on first use. */
  demo?: string | number
  /** Everything lives here; default ./.lwchain. */
  dataDir?: string
  /** The config dir (profile, sealing key, admin.json); default <dataDir>/config. */
  configDir?: string
  /** Explicit ports (0: a free one); omitted ones use the last run's, then DESIGN's defaults, else free ones. */
  httpPort?: string | number
  rpcPort?: string | number
  bootstrapPort?: string | number
  serverPort?: string | number
  /** Threshold rules of the server (`PATH=T1,T2,...`): observed values crossing them become anomalies. */
  threshold?: string[]
  /** Threshold rules file (as `serve server --rules`). */
  rules?: string
  /** Serve the web console at / on the HTTP port; default true. */
  console?: boolean
  /** ChainView poll interval of the daemons; default 500 ms. */
  pollIntervalMs?: number
  /** Temperature drift of demo devices; default 5000 ms. */
  driftMs?: number
  deviceTimers?: DeviceTimers
  onDeviceState?: (endpoint: string, state: DeviceState) => void
  logger: Logger
}

/** DESIGN.md's ready line of `lwchain dev --json`. */
export interface DevReady {
  api: string
  rpc: string
  bootstrap: string
  server: string
  admin: { username: string; password: string }
}

/** A running dev environment. */
export interface RunningDev {
  ready: DevReady
  layout: DevLayout
  ports: DevPorts
  admin: DevAdmin
  /** True when this run deployed the contracts (first run, or the chain state was lost). */
  deployed: boolean
  /** Demo endpoints provisioned by this run (the others were already on chain). */
  provisioned: string[]
  chain: EmbeddedChain
  bootstrap: RunningBootstrap
  server: RunningServer
  fleet?: Fleet
  /** Stops devices, server, bootstrap (their views), then the chain (which dumps its state). */
  stop(): Promise<void>
}

/** The config dir belongs to another network's deployment; dev will not overwrite it. */
export class DevProfileConflictError extends LwchainError {
  override name = 'DevProfileConflictError'
  constructor(configDir: string, profileChainId: number, chainId: number) {
    super(`${configDir} holds a deployment on chain ${profileChainId}, not the embedded chain's ${chainId}: give dev its own --data-dir or --config-dir`, {
      code: 'LWC_DEV_PROFILE_CONFLICT',
    })
  }
}

/** Demo endpoint names. */
export function demoEndpoints(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `demo-${i + 1}`)
}

/**
 * Starts the whole system on the embedded chain: chain (state in the data dir), deployment when
 * there is none, the admin account, bootstrap daemon, LwM2M server (with whatever API
 * `serve server` wires), and with `demo` the simulated devices. Stops what it started on failure.
 */
export async function runDev(o: DevOptions): Promise<RunningDev> {
  const demo = o.demo === undefined ? 0 : o.demo === 0 || o.demo === '0' ? 0 : positiveInt(String(o.demo), '--demo', 0)
  if (demo > 1000) throw new UsageError('--demo takes at most 1000 devices (use `lwchain simulate` for more)')
  const explicit = {
    rpc: o.rpcPort === undefined ? undefined : parsePort(o.rpcPort, 0),
    bootstrap: o.bootstrapPort === undefined ? undefined : parsePort(o.bootstrapPort, 0),
    server: o.serverPort === undefined ? undefined : parsePort(o.serverPort, 0),
    http: o.httpPort === undefined ? undefined : parsePort(o.httpPort, 0),
  }
  const layout = devLayout(o.dataDir, o.configDir)
  const release = lockDevDataDir(layout)
  const previous = readDevPorts(layout)
  const logger = o.logger
  const candidates = (k: keyof DevPorts): number[] =>
    explicit[k] !== undefined ? [explicit[k]!] : [...new Set([previous[k] ?? DEFAULT_DEV_PORTS[k], DEFAULT_DEV_PORTS[k], 0])]

  // Released last, after the chain has saved its state.
  // Stopped in reverse order of start, each step bounded (stopInOrder): devices, server, bootstrap,
  // the chain (which saves its state), and last the data dir's lock.
  const stack: StopStep[] = [{ name: 'data dir lock', stop: async () => release() }]
  const unwind = (): Promise<void> => stopInOrder([...stack].reverse(), { logger })
  try {
    const chain = await firstThat(candidates('rpc'), (port) => startEmbeddedChain({ port, dataDir: layout.chainDir, logger: logger.child({ component: 'chain' }) }), logger, 'chain')
    stack.push({ name: 'chain', stop: () => chain.stop() })
    const rpc = chain.rpcUrl
    saveProfile(layout.configDir, { rpcUrl: rpc })
    const cmd: ChainCommandOptions & { configDir: string } = { configDir: layout.configDir, rpc, logger }

    const deployed = await deployIfNeeded(cmd)
    const admin = await ensureDevAdmin(cmd)
    logger.info({ username: admin.username, created: admin.created, deployed }, 'dev admin ready')

    const pollIntervalMs = o.pollIntervalMs ?? 500
    const bootstrap = await firstThat(candidates('bootstrap'), (port) => runServeBootstrap({ ...cmd, port, pollIntervalMs, logger }), logger, 'bootstrap')
    stack.push({ name: 'bootstrap server', stop: () => bootstrap.stop() })
    const serverPorts = pairs(candidates('server'), candidates('http'))
    const server = await firstThat(serverPorts, ([port, httpPort]) => runServeServer({ ...cmd, port, httpPort, pollIntervalMs, logger, console: o.console ?? true, threshold: o.threshold, rules: o.rules, singleKey: true }), logger, 'server')
    stack.push({ name: 'LwM2M server', stop: () => server.stop() })
    const ports: DevPorts = { rpc: chain.port, bootstrap: bootstrap.address.port, server: server.address.port, http: Number(new URL(server.api).port) }
    writeDevPorts(layout, ports)

    let fleet: Fleet | undefined
    let provisioned: string[] = []
    if (demo > 0) {
      const got = await demoSpecs(cmd, server, bootstrap, demoEndpoints(demo), logger)
      provisioned = got.provisioned
      fleet = createFleet({ specs: got.specs, driftMs: o.driftMs, timers: o.deviceTimers, logger, onState: o.onDeviceState })
      stack.push({ name: 'demo devices', stop: () => fleet!.stop() })
    }
    const ready: DevReady = { api: server.api, rpc, bootstrap: bootstrap.url, server: server.url, admin: { username: admin.username, password: admin.password } }
    let stopping: Promise<void> | undefined
    return {
      ready,
      layout,
      ports,
      admin,
      deployed,
      provisioned,
      chain,
      bootstrap,
      server,
      fleet,
      stop: () => (stopping ??= unwind()),
    }
  } catch (err) {
    await unwind().catch(() => undefined) // each failure is logged; the start failure is what the user needs
    throw err
  }
}

/** Deploys when the profile has no deployment or its contracts are gone; true when it deployed. */
async function deployIfNeeded(o: ChainCommandOptions & { configDir: string }): Promise<boolean> {
  const profile = loadProfile(o.configDir)
  if (profile.deployment) {
    const conn = await connectChain({ rpcUrl: o.rpc! })
    // A profile of another network is never replaced by the embedded chain's deployment.
    if (conn.chainId !== profile.deployment.chainId) {
      throw new DevProfileConflictError(o.configDir, profile.deployment.chainId, conn.chainId)
    }
    const code = await conn.publicClient.getCode({ address: profile.deployment.contracts.clientStore })
    if (code && code !== '0x') return false
  }
  await runDeploy(o, { force: true })
  return true
}

/**
 * Credentials of the demo devices: those already on chain are read back from the server's view
 * (it holds the sealing key), the missing ones are provisioned; records pointing at another server
 * port (a default port was taken this time) are moved to this one.
 */
async function demoSpecs(
  o: ChainCommandOptions & { configDir: string },
  server: RunningServer,
  bootstrap: RunningBootstrap,
  endpoints: string[],
  logger: Logger,
): Promise<{ specs: SimDeviceSpec[]; provisioned: string[] }> {
  const view = server.view!
  await view.syncNow()
  const missing = endpoints.filter((e) => !view.clientByEndpoint(e))
  if (missing.length > 0) {
    await provisionSimDevices(o, { endpoints: missing, bootstrapUri: bootstrap.url, serverUri: server.url })
    logger.info({ count: missing.length }, 'demo devices provisioned')
  }
  for (const e of endpoints) {
    const c = view.clientByEndpoint(e)
    if (c && (c.server.uri !== server.url || c.bootstrap.uri !== bootstrap.url)) {
      await runClientMove(o, { endpoint: e, serverUri: server.url, bootstrapUri: bootstrap.url })
      logger.info({ endpoint: e, serverUri: server.url }, 'demo device moved to this run’s ports')
    }
  }
  await Promise.all([view.syncNow(), bootstrap.view?.syncNow()])
  const specs = endpoints.map((e) => toSpec(e, view.clientByEndpoint(e), bootstrap.url))
  return { specs, provisioned: missing }
}

function toSpec(endpoint: string, c: ClientView | undefined, bootstrapUri: string): SimDeviceSpec {
  if (!c?.bootstrap.key) throw new UsageError(`demo device ${endpoint} is not readable from the chain view`)
  return { endpoint, bootstrap: { uri: bootstrapUri, identity: c.bootstrap.identity, key: c.bootstrap.key } }
}

function pairs(a: number[], b: number[]): [number, number][] {
  // Keep the preferred CoAP port as long as possible: an HTTP port clash alone should not move devices.
  const out: [number, number][] = []
  for (const x of a) for (const y of b) out.push([x, y])
  return out
}

/** Tries each port (or port pair) in turn; the last failure is thrown. */
async function firstThat<P, T>(candidates: P[], start: (p: P) => Promise<T>, logger: Logger, what: string): Promise<T> {
  let last: unknown
  for (const c of candidates) {
    try {
      return await start(c)
    } catch (err) {
      // Another port cannot help when the chain state itself is taken: say that, once.
      if (err instanceof ChainStateInUseError) throw err
      last = err
      logger.info({ what, port: c, err: (err as Error).message }, 'port not usable, trying the next')
    }
  }
  throw last
}
