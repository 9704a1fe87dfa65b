import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { createAnomalyLedger, type AnomalyLedger, type CreateAnomalyLedgerOptions } from '../../anomalies/ledger.js'
import { loadOrCreateJwtKey } from '../../api/auth/jwtKey.js'
import { registerApi, type MountedApi } from '../../api/index.js'
import { DEFAULT_AUTO_OBSERVE, parseObserveAttributes, type AutoObserveConfig } from '../../api/values/autoObserve.js'
import { parsePath } from '../../lwm2m/path.js'
import type { UserDirectory } from '../../api/plugin-auth.js'
import type { ChainConnection } from '../../chain/connectChain.js'
import type { ChainView } from '../../chain/view/createChainView.js'
import { anchoringHealth } from '../../api/http.js'
import { createServerDaemon, type ServerDaemon } from '../../daemons/server.js'
import { createDaemonTransport } from '../../daemons/transport.js'
import { startThresholdRules, type ThresholdRules } from '../../daemons/thresholdRules.js'
import { parseThresholdFlag, parseThresholdRules, InvalidRulesError, type ThresholdRule } from '../../lwm2m/server/thresholds.js'
import { UsageError } from '../../errors/base.js'
import { createLogger, type Logger } from '../../logger.js'
import { peerKey, type PeerAddress } from '../../transport/types.js'
import { action } from '../action.js'
import { parsePort } from '../chain/start.js'
import { globalOptions } from '../globals.js'
import { untilSignal } from '../lib/untilSignal.js'
import { printJson } from '../lib/output.js'
import { stopInOrder } from '../lib/stopInOrder.js'
import { openDaemonKeys } from './daemonKeys.js'
import { addDtlsLimitOptions, parseDtlsLimits, type DtlsLimitOptions } from './dtlsLimits.js'
import { openSecurityStore } from './securityStore.js'
import { createSealingPool } from '../../chain/sealingPool.js'

/** Options of `lwchain serve server` (and of runServeServer, its testable body). */
export interface ServeServerOptions extends DtlsLimitOptions {
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
  /** The view's newHeads WebSocket URL; default derived from the RPC URL; false: follow by polling only (tests). */
  headsUrl?: string | false
  /** Cursor file of the view in the config dir; default server-view.json (two servers on one profile need two). */
  cursorName?: string
  /** CoAP timers (tests use short ones). */
  coapTimers?: { ackTimeoutMs?: number; maxRetransmit?: number; responseTimeoutMs?: number }
  /** Queue mode: how long a device listens after it talked (default 93 s) and how many requests may wait for it (default 100); tests use small ones. */
  queue?: { awakeMs?: number; maxPerDevice?: number }
  /** Signer of the anomaly ledger, which needs the poster role (`--private-key-file`); else LWCHAIN_PRIVATE_KEY, the profile's, or anvil's account 0 on the embedded chain. */
  privateKeyFile?: string
  /** Signer of the admin REST writes (device and user management), which needs the writer role; without it they answer 403. */
  writerKeyFile?: string
  /** `dev`: the ledger's signer also writes for the admin routes (one key for convenience, not least privilege). */
  singleKey?: boolean
  /** Threshold rules file (JSON: {"rules": [{path, thresholds, hysteresis?, endpoints?, pmin?, pmax?}]}). */
  rules?: string
  /** Threshold rules as flags: `PATH=T1,T2,...` (e.g. /3303/0/5700=40,45,50). */
  threshold?: string[]
  /** Where the anomaly outbox lives; default <configDir>/anomalies (anomalies-<cursor> for another cursorName). */
  anomalyDir?: string
  /** Anomaly ledger timers (tests use short ones) and limits. */
  ledger?: Pick<CreateAnomalyLedgerOptions, 'batchIntervalMs' | 'pollIntervalMs' | 'maxTxBytes' | 'finality' | 'fees'>
  /** `--anchor-max-tx-bytes`: signed bytes per anchoring transaction at most (default 120 KiB). */
  anchorMaxTxBytes?: string
  /** `--confirmations N|finalized`: when an anchored batch is final (default 0 on anvil, else finalized). */
  confirmations?: string
  /** `--max-fee-gwei`: the EIP-1559 fee ceiling of anchoring transactions (default 500). */
  maxFeeGwei?: string
  /** Timeout of device requests made through the REST API, ms (`--request-timeout-ms`); default the CoAP timers'. */
  requestTimeoutMs?: number | string
  /** How long a REST request waits for a sleeping queue-mode device before 202 (`--queue-timeout-ms`); default 30 s. */
  queueTimeoutMs?: number | string
  /** Resources observed on every registration (`--observe PATH`, repeatable; "none" for none). Default /3303/0/5700. */
  observe?: string[]
  /** Write-Attributes sent before each of those observations, e.g. "pmin=1,pmax=60". */
  observeAttributes?: string
  /** Serve /api/metrics without a token. */
  publicMetrics?: boolean
  /** Serve the web console at / (default true from the command line). */
  console?: boolean
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
  /** The anomaly ledger (absent without a deployment or a signer). */
  ledger?: AnomalyLedger
  /** The mounted REST API (observations, event streams). */
  rest?: MountedApi
  /** The threshold rules running (absent when none are configured). */
  rules?: ThresholdRules
  /** Stops the rules, the daemon (HTTP, sessions, socket), the ledger, the view, then the sealing pool. */
  stop(): Promise<void>
}

/** Threshold rules from `--rules FILE` and `--threshold PATH=T1,...` flags. */
export function loadThresholdRules(o: Pick<ServeServerOptions, 'rules' | 'threshold'>): ThresholdRule[] {
  const rules: ThresholdRule[] = []
  if (o.rules !== undefined) {
    let doc: unknown
    try {
      doc = JSON.parse(readFileSync(o.rules, 'utf8'))
    } catch (err) {
      throw new InvalidRulesError(`cannot read ${o.rules}: ${(err as Error).message}`)
    }
    rules.push(...parseThresholdRules(doc))
  }
  for (const t of o.threshold ?? []) rules.push(parseThresholdFlag(t))
  return rules
}

/** The auto-observe set from `--observe` and `--observe-attributes` (undefined: the API's default). */
export function autoObserveConfig(o: Pick<ServeServerOptions, 'observe' | 'observeAttributes'>): AutoObserveConfig | undefined {
  let attributes: AutoObserveConfig['attributes']
  if (o.observeAttributes !== undefined) {
    try {
      attributes = parseObserveAttributes(o.observeAttributes)
    } catch (err) {
      throw new UsageError(`--observe-attributes: ${(err as Error).message}`)
    }
  }
  if (o.observe === undefined) return attributes ? { ...DEFAULT_AUTO_OBSERVE, attributes } : undefined
  const paths = o.observe.filter((p) => p !== 'none')
  for (const p of paths) {
    const objectId = ((): number | undefined => {
      try {
        return parsePath(p).objectId
      } catch {
        return undefined
      }
    })()
    // The root ("/", "") parses, but no registration lists it: it would silently observe nothing.
    if (objectId === undefined) throw new UsageError(`--observe: "${p}" is not an LwM2M path such as /3303/0/5700`)
  }
  return { paths, ...(attributes && { attributes }) }
}

/** `<configDir>/anomalies`; a second server on the profile (its own cursor) gets its own outbox, as one ledger owns a directory. */
function defaultAnomalyDir(configDir: string, cursorName: string | undefined): string {
  const name = cursorName === undefined || cursorName === 'server-view.json' ? 'anomalies' : `anomalies-${cursorName.replace(/\.json$/, '')}`
  return join(configDir, name)
}

/** The ledger's limits from `--anchor-max-tx-bytes`, `--confirmations`, `--max-fee-gwei`. */
function ledgerLimits(o: ServeServerOptions): Pick<CreateAnomalyLedgerOptions, 'maxTxBytes' | 'finality' | 'fees'> {
  const out: Pick<CreateAnomalyLedgerOptions, 'maxTxBytes' | 'finality' | 'fees'> = {}
  if (o.anchorMaxTxBytes !== undefined) {
    const n = Number(o.anchorMaxTxBytes)
    if (!Number.isInteger(n) || n < 1024) throw new UsageError(`--anchor-max-tx-bytes must be a whole number of bytes, at least 1024, not "${o.anchorMaxTxBytes}"`)
    out.maxTxBytes = n
  }
  if (o.confirmations !== undefined) {
    if (o.confirmations === 'finalized' || o.confirmations === 'safe') out.finality = { tag: o.confirmations }
    else if (/^\d{1,4}$/.test(o.confirmations)) out.finality = { confirmations: Number(o.confirmations) }
    else throw new UsageError(`--confirmations must be a number of blocks, "finalized" or "safe", not "${o.confirmations}"`)
  }
  if (o.maxFeeGwei !== undefined) {
    const g = Number(o.maxFeeGwei)
    if (!(g > 0 && g < 1e6)) throw new UsageError(`--max-fee-gwei must be a positive number, not "${o.maxFeeGwei}"`)
    out.fees = { maxFeePerGas: BigInt(Math.round(g * 1e9)) }
  }
  return out
}

const NO_USERS: UserDirectory = { byUsername: () => undefined, byEmail: () => undefined }

/** Loads the profile, builds the SecurityStore (chain view or memory), starts the LwM2M server daemon. */
export async function runServeServer(o: ServeServerOptions): Promise<RunningServer> {
  const port = parsePort(o.port, 5684)
  const httpPort = parsePort(o.httpPort, 8080)
  const dtlsLimits = parseDtlsLimits(o)
  const logger = o.logger

  const rules = loadThresholdRules(o)
  const autoObserve = autoObserveConfig(o)
  const requestTimeoutMs = o.requestTimeoutMs === undefined ? undefined : Number(o.requestTimeoutMs)
  if (requestTimeoutMs !== undefined && !(Number.isInteger(requestTimeoutMs) && requestTimeoutMs > 0)) {
    throw new UsageError(`--request-timeout-ms must be a positive whole number of milliseconds, not "${o.requestTimeoutMs}"`)
  }
  const queueTimeoutMs = o.queueTimeoutMs === undefined ? undefined : Number(o.queueTimeoutMs)
  if (queueTimeoutMs !== undefined && !(Number.isInteger(queueTimeoutMs) && queueTimeoutMs >= 0)) {
    throw new UsageError(`--queue-timeout-ms must be a whole number of milliseconds, not "${o.queueTimeoutMs}"`)
  }
  // Sealing and opening run in worker threads, not on the loop that serves DTLS and HTTP: the
  // view's cold start opens two values per client, an admin import seals two per row.
  const sealingPool = createSealingPool({ logger: logger.child({ layer: 'sealing' }) })
  const poolStep = { name: 'sealing pool', stop: () => sealingPool.close() }
  let opened: Awaited<ReturnType<typeof openSecurityStore>>
  try {
    opened = await openSecurityStore({ ...o, cursorName: o.cursorName ?? 'server-view.json', sealingPool })
  } catch (err) {
    await sealingPool.close()
    throw err
  }
  const { store, security, liveView, profile } = opened
  const configDir = profile?.configDir ?? ''
  // Logins are checked against the view (a snapshot with --store memory).
  const users: UserDirectory = profile?.view ?? NO_USERS
  const chain = profile && { conn: profile.conn, deployment: profile.deployment }
  // Without a deployment there are no accounts to log in: a throw-away key, nothing written to the config dir.
  const jwtKey = chain ? loadOrCreateJwtKey(configDir) : new Uint8Array(randomBytes(32))

  let ledger: AnomalyLedger | undefined
  let ledgerConn: ChainConnection | undefined
  let writerConn: ChainConnection | undefined
  if (chain) {
    // Each key is checked for its role before the ledger may send anything.
    try {
      ;({ poster: ledgerConn, writer: writerConn } = await openDaemonKeys(o, chain.conn.rpcUrl, chain.deployment))
    } catch (err) {
      await liveView?.stop()
      await sealingPool.close()
      throw err
    }
    if (liveView && !writerConn) logger.info('no writer key (--writer-key-file): device and user management through the API is off (403)')
    if (ledgerConn) {
      ledger = createAnomalyLedger({
        conn: ledgerConn,
        address: chain.deployment.contracts.anomalyStore,
        dataDir: o.anomalyDir ?? defaultAnomalyDir(configDir, o.cursorName),
        deployBlock: chain.deployment.deployBlock,
        logger,
        ...ledgerLimits(o),
        ...o.ledger,
      })
      try {
        await ledger.start()
      } catch (err) {
        await stopInOrder([{ name: 'chain view', stop: liveView && (() => liveView.stop()) }, poolStep], { logger }).catch(() => {
          // Already logged step by step; the start failure is the error to report.
        })
        throw err
      }
    } else logger.warn('no signer for the anomaly ledger (--private-key-file): /api/anomalies and threshold rules are off')
  }

  let rest: MountedApi | undefined
  const transport = createDaemonTransport({ side: 'server', security, logger, host: o.host ?? '127.0.0.1', port, dtls: !o.insecureUdp, limits: dtlsLimits })
  const daemon = createServerDaemon({
    security,
    transport,
    logger,
    ...(liveView && { chainLag: () => liveView.lag() }),
    ...(ledger && { anchoring: () => anchoringHealth(ledger!.stats()) }),
    extendHttp: async (app, d) => {
      rest = await registerApi(app, {
        daemon: d,
        logger,
        jwtKey,
        users,
        ...(liveView && { view: liveView }),
        ...(ledger && { ledger }),
        ...(liveView && { admin: { ...(writerConn && { conn: writerConn }), configDir, sealer: sealingPool } }),
        ...(requestTimeoutMs !== undefined && { requestTimeoutMs }),
        ...(autoObserve && { autoObserve }),
        ...(o.publicMetrics && { publicMetrics: true }),
        ...(o.console && { console: true }),
      })
    },
    config: {
      httpHost: o.httpHost ?? '127.0.0.1',
      httpPort,
      ...(o.coapTimers && { coapTimers: o.coapTimers }),
      ...(queueTimeoutMs !== undefined && { queueTimeoutMs }),
      ...(o.queue?.awakeMs !== undefined && { queueAwakeMs: o.queue.awakeMs }),
      ...(o.queue?.maxPerDevice !== undefined && { queueMaxPerDevice: o.queue.maxPerDevice }),
    },
  })
  let started: Awaited<ReturnType<ServerDaemon['start']>>
  try {
    started = await daemon.start()
  } catch (err) {
    await stopInOrder(
      [
        { name: 'LwM2M server', stop: () => daemon.stop() },
        { name: 'anomaly ledger', stop: ledger && (() => ledger!.stop()) },
        { name: 'chain view', stop: liveView && (() => liveView.stop()) },
        poolStep,
      ],
      { logger },
    ).catch(() => {
      // Already logged step by step; the start failure is the error to report.
    })
    throw err
  }
  const activeLedger = ledger
  const running = rules.length > 0 && activeLedger
    ? startThresholdRules({
        daemon,
        rules,
        logger,
        post: (c) =>
          activeLedger.accept({
            endpoint: c.endpoint,
            level: c.level,
            data: { source: 'threshold-rule', path: c.path, value: c.value, threshold: c.threshold },
            timestamp: Math.floor(Date.now() / 1000),
          }),
      })
    : undefined
  if (rules.length > 0 && !activeLedger) logger.warn('threshold rules need the anomaly ledger: not started')
  return {
    url: `${o.insecureUdp ? 'coap' : 'coaps'}://${peerKey(started.address)}`,
    api: `${started.http!.url}/api`,
    address: started.address,
    store,
    daemon,
    view: liveView,
    ...(ledger && { ledger }),
    ...(rest && { rest }),
    ...(running && { rules: running }),
    async stop() {
      // Rules first (their observations are cancelled over the live CoAP endpoint), the ledger after
      // the API stopped taking anomalies, the view, then the sealing pool (nothing seals or opens
      // any more; work still queued fails with SealingPoolClosedError). Each step bounded; a failure is logged,
      // the later steps still run, and stop() rejects at the end (the command exits 1).
      await stopInOrder(
        [
          { name: 'threshold rules', stop: running && (() => running.stop()) },
          { name: 'LwM2M server', stop: () => daemon.stop() },
          { name: 'anomaly ledger', stop: ledger && (() => ledger!.stop()) },
          { name: 'chain view', stop: liveView && (() => liveView.stop()) },
          poolStep,
        ],
        { logger },
      )
    },
  }
}

/** Registers `lwchain serve server`. */
export function registerServeServerCommand(serve: Command): void {
  const command = serve
    .command('server')
    .description('run the LwM2M server (DTLS-PSK) with /api/health, authenticating devices from the chain')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'UDP port (0 picks a free one)', '5684')
    .option('--http-host <host>', 'address of the HTTP API', '127.0.0.1')
    .option('--http-port <port>', 'TCP port of the HTTP API (0 picks a free one)', '8080')
    .option('--store <store>', 'security store: chain (live ChainView) or memory (seeded once)', 'chain')
    .option('--clients <file>', 'with --store memory: seed from a JSON array of `client add --json` records')
    .option('--insecure-udp', 'plain CoAP without DTLS: NO authentication, development only', false)
    .option('--rules <file>', 'threshold rules (JSON {"rules":[{"path":"/3303/0/5700","thresholds":[40,45,50]}]}): observe on every device, post anomalies')
    .option('--threshold <path=t1,t2,...>', 'a threshold rule as a flag, e.g. /3303/0/5700=40,45,50, or "default" for that one (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--writer-key-file <file>', 'key for device and user management through the API (needs the writer role); without it those writes answer 403')
    .option('--anomaly-dir <dir>', 'anomaly outbox directory (default <config-dir>/anomalies)')
    .option('--anchor-max-tx-bytes <n>', 'signed bytes per anchoring transaction at most (geth-class pools refuse over 128 KiB)', String(120 * 1024))
    .option('--confirmations <n|finalized>', 'when an anchored batch is final: N blocks deep, or the node\'s finalized/safe tag (default 0 on anvil, else finalized)')
    .option('--max-fee-gwei <gwei>', 'EIP-1559 fee ceiling of anchoring transactions', '500')
    .option('--request-timeout-ms <ms>', 'how long a device request made through the REST API may take before 504')
    .option('--queue-timeout-ms <ms>', 'how long a REST request waits for a sleeping queue-mode device before 202 {requestId} (result on /api/events)', '30000')
    .option('--observe <path>', 'observe this resource on every device that registers (repeatable; default /3303/0/5700; "none" for none)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--observe-attributes <attrs>', 'Write-Attributes sent before those observations, e.g. pmin=1,pmax=60')
    .option('--public-metrics', 'serve /api/metrics without a token (bind the API to loopback then)', false)
    .option('--no-console', 'do not serve the web console at /')
  addDtlsLimitOptions(command)
    .addHelpText(
      'after',
      [
        '',
        'Devices register with POST /rd?ep=NAME&lt=..&lwm2m=1.1&b=U over DTLS-PSK; the PSK identity must',
        "be NAME's server identity on chain. LwM2M 1.0, 1.1 and 1.2 (registered as offered); another version gets 4.12.",
        '',
        'Example:',
        '  $ lwchain serve server --port 5684 --http-port 8080',
        "  $ coap-client-openssl -u ID -k KEY -m post -t 40 -e '</3/0>' 'coaps://127.0.0.1:5684/rd?ep=dev-1&lt=300&lwm2m=1.1&b=U'",
        '  $ curl http://127.0.0.1:8080/api/health',
        '  $ lwchain serve server --threshold /3303/0/5700=40,45,50      # anomalies at 40/45/50 °C',
        '  $ lwchain serve server --observe /3303/0/5700 --observe /3/0/9 --observe-attributes pmin=5,pmax=60',
        '',
        'REST API under /api (token from POST /api/login): GET /api/openapi.json lists every route;',
        'GET /api/metrics is admin-only unless --public-metrics.',
        '',
        'Keys (least privilege): --private-key-file signs anomaly batches and needs only the poster role;',
        '--writer-key-file (optional) signs device and user management and needs only the writer role.',
        'A key without its role stops the start with one line naming the role (see `lwchain role grant`).',
        '  $ lwchain serve server --private-key-file poster.key --writer-key-file writer.key',
      ].join('\n'),
    )
    .action(
      action(async (opts: Omit<ServeServerOptions, 'logger' | 'configDir' | 'rpc'>, cmd: Command) => {
        const g = globalOptions(cmd)
        const logger = createLogger(g.logLevel)
        const running = await runServeServer({ ...opts, configDir: g.configDir, rpc: g.rpc, privateKeyFile: g.privateKeyFile, logger })
        if (g.json) printJson({ server: running.url, api: running.api })
        else console.log(`LwM2M server listening at ${running.url}, API at ${running.api} (store: ${running.store}); Ctrl-C stops it`)
        const stopped = untilSignal()
        await stopped
        await running.stop().catch((err: unknown) => {
          logger.error({ err }, 'LwM2M server did not stop cleanly')
          process.exitCode = 1
        })
        stopped.cancel()
      }),
    )
}

