/**
 * The whole system for end-to-end tests: the embedded chain (anvil with its state on disk, so it
 * can be stopped and brought back), `lwchain deploy`, both daemons as `serve bootstrap` /
 * `serve server` run them (chain-backed views polling every 100 ms), provisioning through the
 * client commands, and simulated devices.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes, type Hex } from 'viem'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { runClientAdd, type ClientAddResult } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeBootstrap, type RunningBootstrap } from '../../src/commands/serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import { silentLogger, type Logger } from '../../src/logger.js'
import { createDevice, type Device, type DeviceOptions } from '../../src/simulator/device.js'
import { freeTcpPort } from '../helpers/ports.js'

/** Short device timers: a lost datagram or a refused step is retried quickly. */
export const DEVICE_TIMERS: NonNullable<DeviceOptions['timers']> = {
  ackTimeoutMs: 500,
  maxRetransmit: 3,
  handshakeTimeoutMs: 3_000,
  bootstrapTimeoutMs: 10_000,
  retryDelayMs: 100,
  maxRetryDelayMs: 1_000,
  retryAttempts: 5,
  stopTimeoutMs: 1_000,
}

const COAP_TIMERS = { ackTimeoutMs: 500, maxRetransmit: 3, responseTimeoutMs: 5_000 }

export interface System {
  dir: string
  configDir: string
  rpc: string
  chain: EmbeddedChain
  bootstrap: RunningBootstrap
  server: RunningServer
  /** Command options for the client/deploy commands. */
  cmd: { configDir: string; rpc: string }
  logger: Logger
  /** Provisions a device on chain (pointing at `serverUri`, default the system's server) and waits until both daemons see it. */
  addDevice(endpoint: string, serverUri?: string): Promise<ClientAddResult>
  /** A device that knows only its bootstrap account (as provisioned). */
  device(added: ClientAddResult, extra?: Partial<DeviceOptions>): Device
  /** Another server daemon on the same profile (its own cursor file). */
  startServer(cursorName: string, store?: 'chain' | 'memory'): Promise<RunningServer>
  /** Stops anvil (state dumped to disk). */
  stopChain(): Promise<void>
  /** Starts anvil again on the same port from its dumped state. */
  restartChain(): Promise<void>
  stop(): Promise<void>
}

/** Deploys on a fresh embedded chain and starts both daemons (store: chain, or memory seeded once). */
export async function givenSystem(o: { store?: 'chain' | 'memory'; logger?: Logger } = {}): Promise<System> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const logger = o.logger ?? silentLogger()
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-e2e-'))
  const configDir = join(dir, 'cfg')
  const dataDir = join(dir, 'chain')
  const port = await freeTcpPort()
  let chain = await startEmbeddedChain({ port, dataDir, stateIntervalSeconds: 1 })
  const cmd = { configDir, rpc: chain.rpcUrl }
  await runDeploy(cmd)
  const common = { configDir, rpc: chain.rpcUrl, pollIntervalMs: 100, logger }
  const bootstrap = await runServeBootstrap({ ...common, port: 0, store: o.store ?? 'chain' })
  const servers: RunningServer[] = []
  const startServer = async (cursorName: string, store: 'chain' | 'memory' = o.store ?? 'chain') => {
    const s = await runServeServer({ ...common, port: 0, httpPort: 0, cursorName, store, coapTimers: COAP_TIMERS })
    servers.push(s)
    return s
  }
  const server = await startServer('server-view.json')
  const devices: Device[] = []

  const sees = (r: { view?: { clientByEndpoint(ep: string): unknown } }, endpoint: string) => !r.view || r.view.clientByEndpoint(endpoint) !== undefined
  return {
    dir,
    configDir,
    rpc: chain.rpcUrl,
    get chain() {
      return chain
    },
    bootstrap,
    server,
    cmd,
    logger,
    async addDevice(endpoint, serverUri = server.url) {
      const { result } = await runClientAdd(cmd, { endpoint, bootstrapUri: bootstrap.url, serverUri })
      await eventually(() => sees(bootstrap, endpoint) && servers.every((s) => sees(s, endpoint)))
      return result
    },
    device(added, extra = {}) {
      const d = createDevice({
        endpoint: added.endpoint,
        bootstrap: { uri: added.bootstrap.uri, identity: added.bootstrap.identity, key: hexToBytes(`0x${added.bootstrap.key}` as Hex) },
        timers: DEVICE_TIMERS,
        ...extra,
      })
      devices.push(d)
      return d
    },
    startServer,
    async stopChain() {
      await chain.stop()
    },
    async restartChain() {
      chain = await startEmbeddedChain({ port, dataDir, stateIntervalSeconds: 1 })
    },
    async stop() {
      await Promise.allSettled(devices.map((d) => d.stop()))
      await Promise.allSettled([bootstrap.stop(), ...servers.map((s) => s.stop())])
      await chain.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Resolves when `check` holds, polling every 25 ms (the test timeout bounds it: no timed assertion). */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Resolves with the next emission of an event (listener removed after). */
export function nextEvent<T extends unknown[]>(
  emitter: { once(event: string, listener: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)))
}
