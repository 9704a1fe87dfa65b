import type { Command } from 'commander'
import type { ChainView } from '../../chain/view/createChainView.js'
import { createBootstrapDaemon, type BootstrapDaemon } from '../../daemons/bootstrap.js'
import { createDaemonTransport } from '../../daemons/transport.js'
import { createLogger, type Logger } from '../../logger.js'
import { peerKey, type PeerAddress } from '../../transport/types.js'
import { action } from '../action.js'
import { parsePort } from '../chain/start.js'
import { globalOptions } from '../globals.js'
import { positiveInt } from '../lib/commandOptions.js'
import { UsageError } from '../../errors/base.js'
import { resolveBootstrapConfig } from '../../lwm2m/bootstrap/config.js'
import { BootstrapConfigError } from '../../lwm2m/bootstrap/errors.js'
import { addDtlsLimitOptions, parseDtlsLimits, type DtlsLimitOptions } from './dtlsLimits.js'
import { untilSignal } from '../lib/untilSignal.js'
import { printJson } from '../lib/output.js'
import { stopInOrder } from '../lib/stopInOrder.js'
import { openSecurityStore } from './securityStore.js'
import { createSealingPool } from '../../chain/sealingPool.js'

/** Options of `lwchain serve bootstrap` (and of runServeBootstrap, its testable body). */
export interface ServeBootstrapOptions extends DtlsLimitOptions {
  configDir?: string
  rpc?: string
  host?: string
  port?: string | number
  /** `chain` (default): authenticate from the live ChainView. `memory`: an in-memory store seeded once. */
  store?: string
  /** With `--store memory`: seed from this JSON file (what `lwchain client add --json` prints, in an array). */
  clients?: string
  /** Plain CoAP over UDP, no authentication: development only. */
  insecureUdp?: boolean
  /** Lifetime written to the device's Server instance, seconds. */
  lifetime?: string | number
  /** Session timeout, seconds. */
  sessionTimeout?: string | number
  /** Binding written to the device's Server instance (/1/x/7): U (default), UQ for queue mode... */
  binding?: string
  /** ChainView poll interval, ms (tests use a short one). */
  pollIntervalMs?: number
  logger: Logger
}

/** A running `serve bootstrap`: its URL, its daemon, and the ordered stop. */
export interface RunningBootstrap {
  /** `coaps://host:port` (or `coap://` with --insecure-udp). */
  url: string
  address: PeerAddress
  store: 'chain' | 'memory'
  daemon: BootstrapDaemon
  /** The live view (chain store only). */
  view?: ChainView
  /** Stops the daemon (sessions, socket), the view, then the sealing pool. */
  stop(): Promise<void>
}

/** Loads the profile, builds the SecurityStore (chain view or memory), starts the bootstrap daemon. */
export async function runServeBootstrap(o: ServeBootstrapOptions): Promise<RunningBootstrap> {
  const port = parsePort(o.port, 5784)
  const serverLifetime = positiveInt(o.lifetime === undefined ? undefined : String(o.lifetime), '--lifetime', 300)
  const sessionTimeoutS = positiveInt(o.sessionTimeout === undefined ? undefined : String(o.sessionTimeout), '--session-timeout', 60)
  const binding = parseBinding(o.binding)
  const limits = parseDtlsLimits(o)
  const logger = o.logger
  // The view opens two sealed values per client (a cold start: all of them) in worker threads, off the handshake loop.
  const sealingPool = createSealingPool({ logger: logger.child({ layer: 'sealing' }) })
  let opened: Awaited<ReturnType<typeof openSecurityStore>>
  try {
    opened = await openSecurityStore({ ...o, cursorName: 'bootstrap-view.json', sealingPool })
  } catch (err) {
    await sealingPool.close()
    throw err
  }
  const { store, security, liveView: view } = opened

  const daemon = createBootstrapDaemon({
    security,
    transport: createDaemonTransport({ side: 'bootstrap', security, logger, host: o.host ?? '127.0.0.1', port, dtls: !o.insecureUdp, limits }),
    logger,
    config: { serverLifetime, sessionTimeoutMs: sessionTimeoutS * 1000, ...(binding !== undefined && { binding }) },
  })
  const steps = [
    { name: 'bootstrap server', stop: () => daemon.stop() },
    { name: 'chain view', stop: view && (() => view.stop()) },
    { name: 'sealing pool', stop: () => sealingPool.close() },
  ]
  let address: PeerAddress
  try {
    ;({ address } = await daemon.start())
  } catch (err) {
    await stopInOrder(steps, { logger }).catch(() => {
      // Already logged step by step; the start failure is the error to report.
    })
    throw err
  }
  const liveView = view
  return {
    url: `${o.insecureUdp ? 'coap' : 'coaps'}://${peerKey(address)}`,
    address,
    store,
    daemon,
    view: liveView,
    async stop() {
      // The daemon (sessions, socket) before the view; each bounded, failures logged, then reported.
      await stopInOrder(steps, { logger })
    },
  }
}

/** `--binding`: checked before anything is opened, so a typo is a usage error and leaves nothing running. */
function parseBinding(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  try {
    return resolveBootstrapConfig({ binding: text }).binding
  } catch (err) {
    if (err instanceof BootstrapConfigError) throw new UsageError(`--binding must be an LwM2M binding such as U or UQ, not "${text}"`)
    throw err
  }
}

/** Registers `lwchain serve bootstrap`. */
export function registerServeBootstrapCommand(serve: Command): void {
  const command = serve
    .command('bootstrap')
    .description('run the LwM2M bootstrap server (DTLS-PSK), authenticating devices from the chain')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'UDP port (0 picks a free one)', '5784')
    .option('--store <store>', 'security store: chain (live ChainView) or memory (seeded once)', 'chain')
    .option('--clients <file>', 'with --store memory: seed from a JSON array of `client add --json` records')
    .option('--insecure-udp', 'plain CoAP without DTLS: NO authentication, development only', false)
    .option('--lifetime <seconds>', 'registration lifetime written to the device', '300')
    .option('--session-timeout <seconds>', 'a bootstrap session not finished by then fails', '60')
    .option('--binding <binding>', 'binding written to the device (/1/x/7): U, or UQ to make it register in queue mode', 'U')
  addDtlsLimitOptions(command)
    .addHelpText(
      'after',
      [
        '',
        'Devices bootstrap with POST /bs?ep=NAME[&pct=FORMAT] over DTLS-PSK; the PSK identity must be',
        "NAME's bootstrap identity on chain. LwM2M 1.2 clients may GET /bspack?ep=NAME instead (the same",
        'identity check; a Bootstrap-Pack of /0 and /1 in SenML CBOR or JSON). --binding UQ provisions',
        'devices that register in queue mode.',
        'It only reads the chain and holds no signer key (--private-key-file is not used).',
        '',
        'Example:',
        '  $ lwchain serve bootstrap --port 5784',
        '  $ coap-client-openssl -u BS_IDENTITY -k BS_KEY -m post "coaps://127.0.0.1:5784/bs?ep=dev-1"',
      ].join('\n'),
    )
    .action(
      action(async (opts: Omit<ServeBootstrapOptions, 'logger' | 'configDir' | 'rpc'>, cmd: Command) => {
        const g = globalOptions(cmd)
        const logger = createLogger(g.logLevel)
        const running = await runServeBootstrap({ ...opts, configDir: g.configDir, rpc: g.rpc, logger })
        if (g.json) printJson({ bootstrap: running.url })
        else console.log(`bootstrap server listening at ${running.url} (store: ${running.store}); Ctrl-C stops it`)
        const stopped = untilSignal()
        await stopped
        await running.stop().catch((err: unknown) => {
          logger.error({ err }, 'bootstrap server did not stop cleanly')
          process.exitCode = 1
        })
        stopped.cancel()
      }),
    )
}
