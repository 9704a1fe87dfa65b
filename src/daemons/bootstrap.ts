/**
 * The bootstrap daemon: a CoAP endpoint over the injected transport (DTLS-PSK, or for development
 * plain UDP) + the bootstrap handler, authenticated from a SecurityStore (the ChainView or the
 * in-memory store).
 */
import { LwchainError } from '../errors/base.js'
import type { Logger } from '../logger.js'
import { resolveBootstrapConfig, type BootstrapConfig } from '../lwm2m/bootstrap/config.js'
import { createBootstrapHandler, type BootstrapOutcome, type BootstrapStats } from '../lwm2m/bootstrap/handler.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { createRequestSender } from '../lwm2m/request/sender.js'
import type { SecurityChange, SecurityInfoSide, SecurityStore } from '../lwm2m/security-store.js'
import { createCoapEndpoint } from '../transport/index.js'
import { peerKey, type DatagramTransport, type PeerAddress } from '../transport/types.js'
import { startEventLoopWatchdog, type EventLoopWatchdog } from './eventLoopWatchdog.js'
import { dtlsOf } from './transport.js'

/** CoAP timers of the daemon's endpoint (RFC 7252 names; short ones in tests). */
export interface CoapTimers {
  ackTimeoutMs?: number
  ackRandomFactor?: number
  maxRetransmit?: number
  responseTimeoutMs?: number
}

/** Configuration of the bootstrap daemon; where it listens is the injected transport's business. */
export interface BootstrapDaemonConfig {
  /** A bootstrap session not finished after this long fails; default 60 s. */
  sessionTimeoutMs?: number
  /** Lifetime written to the Server instance; default 300 s. */
  serverLifetime?: number
  /** Short Server ID of the provisioned server account; default 101. */
  shortServerId?: number
  /** Bootstrap-Discover / after the writes; default false. */
  discoverAfterWrite?: boolean
  /** Fixed Security instance id instead of discovering a free one. */
  securityInstanceId?: number
  /**
   * Binding written to the Server instance (/1/x/7), e.g. "UQ" for a device that should register
   * in queue mode; default "U".
   */
  binding?: string
  /** Per-request timeout of the bootstrap requests. */
  requestTimeoutMs?: number
  coapTimers?: CoapTimers
}

export interface BootstrapDaemonDeps {
  security: SecurityStore
  /**
   * The datagram transport the CoAP endpoint runs on (createDaemonTransport: DTLS-PSK keyed by
   * the bootstrap identities of `security`, or UDP for development). The daemon closes it on stop.
   */
  transport: DatagramTransport
  logger: Logger
  models?: ModelRegistry
  config?: BootstrapDaemonConfig
}

/** A bootstrap daemon: start/stop, counters, and hooks for tests and benchmarks. */
export interface BootstrapDaemon {
  /** Binds and starts serving; resolves with the bound address. */
  start(): Promise<{ address: PeerAddress }>
  /** Ordered shutdown: refuse new bootstraps, end sessions, stop timers, close_notify, close the socket. */
  stop(): Promise<void>
  stats(): BootstrapStats & { dtlsSessions: number }
  /** Called once per bootstrap session with its outcome. */
  onOutcome(listener: (outcome: BootstrapOutcome) => void): () => void
  /** The resolved protocol configuration. */
  readonly config: BootstrapConfig
}

/** Creates the bootstrap daemon (Seam 3); nothing is bound until start(). */
export function createBootstrapDaemon(deps: BootstrapDaemonDeps): BootstrapDaemon {
  const cfg = deps.config ?? {}
  const logger = deps.logger
  const transport = deps.transport
  const dtlsTransport = dtlsOf(transport)
  const dtls = transport.kind === 'dtls'
  const config = resolveBootstrapConfig({
    serverLifetime: cfg.serverLifetime,
    shortServerId: cfg.shortServerId,
    discoverAfterWrite: cfg.discoverAfterWrite,
    securityInstanceId: cfg.securityInstanceId,
    binding: cfg.binding,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    requestTimeoutMs: cfg.requestTimeoutMs,
    requireIdentity: dtls,
  })
  const security = deps.security
  const coap = createCoapEndpoint({ transport, logger: logger.child({ layer: 'coap' }), ...cfg.coapTimers })
  const sender = createRequestSender({ coap, models: deps.models ?? loadDefaultModels(), logger })
  const handler = createBootstrapHandler({ security, sender, config, logger })
  coap.onRequest((req, ctx) => handler.handle(req, ctx))

  // Revocation: a removed client's bootstrap sessions (DTLS and LwM2M) end now.
  const onChange = (change: SecurityChange): void => {
    if (change.kind === 'removed') revoke(change.previous.endpoint, change.previous.bootstrap.identity)
    else if (change.kind === 'updated' && change.previous && bootstrapCredentialsChanged(change.previous.bootstrap, change.client.bootstrap)) {
      // Sessions keyed with the old identity or PSK no longer prove anything.
      revoke(change.previous.endpoint, change.previous.bootstrap.identity)
    }
  }
  const revoke = (endpoint: string, identity: string): void => {
    const aborted = handler.abort(endpoint, 'revoked')
    let closed = 0
    for (const s of dtlsTransport?.sessions() ?? []) {
      if (s.identity === identity) {
        dtlsTransport!.closeSession(s.peer, 'revoked')
        closed++
      }
    }
    logger.info({ endpoint, identity, dtlsSessionsClosed: closed, bootstrapAborted: aborted }, 'bootstrap credentials revoked')
  }
  // Reports a blocked event loop (DTLS handshakes and CoAP timers stall with it).
  let watchdog: EventLoopWatchdog | undefined
  let unsubscribe: (() => void) | undefined
  let state: 'new' | 'running' | 'stopped' = 'new'

  return {
    config,
    async start() {
      if (state !== 'new') throw new BootstrapDaemonStateError(state)
      unsubscribe = security.subscribe(onChange)
      const address = await coap.start()
      watchdog = startEventLoopWatchdog({ logger })
      state = 'running'
      logger.info({ address: peerKey(address), dtls }, 'bootstrap server listening')
      return { address }
    },
    async stop() {
      if (state === 'stopped') return
      state = 'stopped'
      watchdog?.stop()
      unsubscribe?.()
      handler.close()
      // The endpoint stops its timers and exchanges, then the transport sends close_notify and closes.
      await coap.stop()
      logger.info(handler.stats(), 'bootstrap server stopped')
    },
    stats: () => ({ ...handler.stats(), dtlsSessions: dtlsTransport?.sessions().length ?? 0 }),
    onOutcome: (listener) => handler.onOutcome(listener),
  }
}

function bootstrapCredentialsChanged(a: SecurityInfoSide, b: SecurityInfoSide): boolean {
  if (a.identity !== b.identity) return true
  if (!a.key || !b.key) return a.key !== b.key
  return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) !== 0
}

/** start() called twice, or after stop(): a daemon is started once. */
export class BootstrapDaemonStateError extends LwchainError {
  override name = 'BootstrapDaemonStateError'
  constructor(state: string) {
    super(`bootstrap daemon already ${state}`, { code: 'LWC_DAEMON_STATE' })
  }
}
