import type { Command } from 'commander'
import type { ChainView } from '../../chain/view/createChainView.js'
import { openProfileView } from '../../chain/view/openProfileView.js'
import { createServerDaemon, type ServerDaemon } from '../../daemons/server.js'
import { chainSecurityStore } from '../../daemons/stores/chainSecurityStore.js'
import { UsageError } from '../../errors/base.js'
import { createLogger, type Logger } from '../../logger.js'
import { createInMemorySecurityStore, type ClientSecurity, type SecurityStore } from '../../lwm2m/security-store.js'
import { peerKey, type PeerAddress } from '../../transport/types.js'
import { action } from '../action.js'
import { parsePort } from '../chain/start.js'
import { globalOptions } from '../globals.js'
import { printJson } from '../lib/output.js'
import { readClientsFile } from './bootstrap.js'

/** Options of `lwchain serve server` (and of runServeServer, its testable body). */
export interface ServeServerOptions {
  configDir?: string
  rpc?: string
  host?: string
  port?: string | number
  httpHost?: string
  /** HTTP port of `/api` (0 picks a free one). */
  httpPort?: string | number
  /** `chain` (default): authenticate from the live ChainView. `memory`: an in-memory store seeded once. */
  store?: string
  /** With `--store memory`: seed from this JSON file (what `lwchain client add --json` prints, in an array). */
  clients?: string
  /** Plain CoAP over UDP, no authentication: development only. */
  insecureUdp?: boolean
  /** ChainView poll interval, ms (tests use a short one). */
  pollIntervalMs?: number
  /** Cursor file of the view in the config dir; default server-view.json (two servers on one profile need two). */
  cursorName?: string
  /** CoAP timers (tests use short ones). */
  coapTimers?: { ackTimeoutMs?: number; maxRetransmit?: number; responseTimeoutMs?: number }
  logger: Logger
}

/** A running `serve server`: its URLs, its daemon, and the ordered stop. */
export interface RunningServer {
  /** `coaps://host:port` (or `coap://` with --insecure-udp). */
  url: string
  /** `http://host:port/api`. */
  api: string
  address: PeerAddress
  store: 'chain' | 'memory'
  daemon: ServerDaemon
  /** The live view (chain store only). */
  view?: ChainView
  /** Stops the daemon (HTTP, sessions, socket), then the view. */
  stop(): Promise<void>
}

/** Loads the profile, builds the SecurityStore (chain view or memory), starts the LwM2M server daemon. */
export async function runServeServer(o: ServeServerOptions): Promise<RunningServer> {
  const store = o.store ?? 'chain'
  if (store !== 'chain' && store !== 'memory') throw new UsageError(`--store must be chain or memory, not "${store}"`)
  if (o.clients !== undefined && store !== 'memory') throw new UsageError('--clients needs --store memory')
  const port = parsePort(o.port, 5684)
  const httpPort = parsePort(o.httpPort, 8080)
  const logger = o.logger

  let view: ChainView | undefined
  let security: SecurityStore
  if (store === 'memory' && o.clients !== undefined) {
    security = createInMemorySecurityStore(readClientsFile(o.clients))
  } else {
    const opened = await openProfileView({
      configDir: o.configDir,
      rpc: o.rpc,
      cursorName: o.cursorName ?? 'server-view.json',
      pollIntervalMs: o.pollIntervalMs,
      logger: logger.child({ layer: 'chain-view' }),
    })
    view = opened.view
    await view.start()
    if (store === 'memory') {
      // One sync, then the chain is no longer consulted: the side-by-side baseline.
      security = createInMemorySecurityStore(view.clients().map(toSecurity))
      await view.stop()
      view = undefined
    } else security = chainSecurityStore(view)
  }

  const liveView = view
  const daemon = createServerDaemon({
    security,
    logger,
    ...(liveView && { chainLag: () => liveView.lag() }),
    config: {
      host: o.host ?? '127.0.0.1',
      port,
      dtls: !o.insecureUdp,
      httpHost: o.httpHost ?? '127.0.0.1',
      httpPort,
      ...(o.coapTimers && { coapTimers: o.coapTimers }),
    },
  })
  let started: Awaited<ReturnType<ServerDaemon['start']>>
  try {
    started = await daemon.start()
  } catch (err) {
    await daemon.stop().catch(() => {})
    await liveView?.stop()
    throw err
  }
  return {
    url: `${o.insecureUdp ? 'coap' : 'coaps'}://${peerKey(started.address)}`,
    api: `${started.http!.url}/api`,
    address: started.address,
    store,
    daemon,
    view: liveView,
    async stop() {
      await daemon.stop()
      await liveView?.stop()
    },
  }
}

/** Registers `lwchain serve server`. */
export function registerServeServerCommand(serve: Command): void {
  serve
    .command('server')
    .description('run the LwM2M server (DTLS-PSK) with /api/health, authenticating devices from the chain')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'UDP port (0 picks a free one)', '5684')
    .option('--http-host <host>', 'address of the HTTP API', '127.0.0.1')
    .option('--http-port <port>', 'TCP port of the HTTP API (0 picks a free one)', '8080')
    .option('--store <store>', 'security store: chain (live ChainView) or memory (seeded once)', 'chain')
    .option('--clients <file>', 'with --store memory: seed from a JSON array of `client add --json` records')
    .option('--insecure-udp', 'plain CoAP without DTLS: NO authentication, development only', false)
    .addHelpText(
      'after',
      [
        '',
        'Devices register with POST /rd?ep=NAME&lt=..&lwm2m=1.1&b=U over DTLS-PSK; the PSK identity must',
        "be NAME's server identity on chain. LwM2M 1.0 and 1.1; a 1.2 client gets 4.12 and retries with 1.1.",
        '',
        'Example:',
        '  $ lwchain serve server --port 5684 --http-port 8080',
        "  $ coap-client-openssl -u ID -k KEY -m post -t 40 -e '</3/0>' 'coaps://127.0.0.1:5684/rd?ep=dev-1&lt=300&lwm2m=1.1&b=U'",
        '  $ curl http://127.0.0.1:8080/api/health',
      ].join('\n'),
    )
    .action(
      action(async (opts: Omit<ServeServerOptions, 'logger' | 'configDir' | 'rpc'>, cmd: Command) => {
        const g = globalOptions(cmd)
        const logger = createLogger(g.logLevel)
        const running = await runServeServer({ ...opts, configDir: g.configDir, rpc: g.rpc, logger })
        if (g.json) printJson({ server: running.url, api: running.api })
        else console.log(`LwM2M server listening at ${running.url}, API at ${running.api} (store: ${running.store}); Ctrl-C stops it`)
        await new Promise<void>((resolve) => {
          let stopping = false
          const stop = (): void => {
            if (stopping) return
            stopping = true
            process.off('SIGINT', stop)
            process.off('SIGTERM', stop)
            running.stop().then(resolve, (err: unknown) => {
              logger.error({ err }, 'LwM2M server did not stop cleanly')
              process.exitCode = 1
              resolve()
            })
          }
          process.once('SIGINT', stop)
          process.once('SIGTERM', stop)
        })
      }),
    )
}

function toSecurity(c: ClientSecurity): ClientSecurity {
  return { endpoint: c.endpoint, version: c.version, bootstrap: c.bootstrap, server: c.server }
}
