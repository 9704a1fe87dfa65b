/**
 * The LwM2M server daemon: a CoAP endpoint over the injected transport (DTLS-PSK, or for
 * development plain UDP; see ./transport.ts), the registration interface, device management through the request sender, revocation and mobility
 * driven by the SecurityStore's changes, and `/api/health`. Wiring only; the protocol logic lives in
 * src/lwm2m/server/.
 */
import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import type { ViewLag } from '../chain/view/types.js'
import { LwchainError } from '../errors/base.js'
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import type { LwM2mNode } from '../lwm2m/node.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { modelsForObjects } from '../lwm2m/models/versions.js'
import { formatPath, type LwM2mPath } from '../lwm2m/path.js'
import { RequestTimeoutError } from '../lwm2m/request/errors.js'
import { createRequestSender, type LwM2mObservation, type PeerContext } from '../lwm2m/request/sender.js'
import type { LwM2mRequest, LwM2mResponse, ObserveRequest } from '../lwm2m/request/types.js'
import type { SecurityChange, SecurityStore } from '../lwm2m/security-store.js'
import {
  ClientNotRegisteredError,
  QueueFullError,
  RequestQueuedError,
  createRequestQueue,
  createInMemoryRegistrationStore,
  createObservationRegistry,
  createRegistrationHandler,
  registeredInstances,
  startExpirySweeper,
  type DeregistrationReason,
  type ExpirySweeper,
  type QueuedRequest,
  type Registration,
  type RegistrationStore,
} from '../lwm2m/server/index.js'
import { createSendHandler } from '../lwm2m/server/send-handler.js'
import { createCoapEndpoint, type CoapEndpoint } from '../transport/index.js'
import { peerKey, type DatagramTransport, type PeerAddress } from '../transport/types.js'
import { dtlsOf } from './transport.js'
import { createHttpApp, healthReport, listenHttp, type AnchoringHealth } from '../api/http.js'
import type { LwM2mServerEvents, LwM2mServerPort, LwM2mServerStats, NotificationEvent, QueueStatus } from '../api/port.js'
import { startEventLoopWatchdog, type EventLoopWatchdog } from './eventLoopWatchdog.js'

/** CoAP timers (short ones in tests). */
export interface CoapTimers {
  ackTimeoutMs?: number
  maxRetransmit?: number
  responseTimeoutMs?: number
  piggybackDelayMs?: number
}

/** The daemon's own settings; where it listens for CoAP is the injected transport's business. */
export interface ServerDaemonConfig {
  /** 0 picks a free port; undefined = no HTTP. */
  httpPort?: number
  httpHost?: string
  coapTimers?: CoapTimers
  /** How often expired registrations are swept; default 1 s. */
  sweepIntervalMs?: number
  /** Timeout of the Bootstrap-Request Trigger sent when a device moves; default 10 s. */
  moveTimeoutMs?: number
  /** How long send() waits for a sleeping queue-mode device before RequestQueuedError; default 30 s. */
  queueTimeoutMs?: number
  /** How long a queue-mode device listens after it talked; default 93 s. */
  queueAwakeMs?: number
  /** Requests that may wait per queue-mode device (QueueFullError beyond); default 100. */
  queueMaxPerDevice?: number
}

export interface ServerDaemonDeps {
  security: SecurityStore
  /**
   * The datagram transport the CoAP endpoint runs on (createDaemonTransport: DTLS-PSK keyed by
   * the server identities of `security`, or UDP). Registration requires a DTLS identity unless
   * it is plain UDP (`--insecure-udp`). The daemon closes it on stop.
   */
  transport: DatagramTransport
  logger: Logger
  models?: ModelRegistry
  /** The chain view's lag for `/api/health`; absent with `--store memory`. */
  chainLag?: () => ViewLag | undefined
  /** The anomaly ledger's anchoring health for `/api/health` (absent without a ledger). */
  anchoring?: () => AnchoringHealth
  /** Where registrations are kept; default in memory. */
  registrations?: RegistrationStore
  /** Adds routes to the HTTP app before it listens (the REST API); runs only when httpPort is set. */
  extendHttp?: (app: FastifyInstance, daemon: ServerDaemon) => void | Promise<void>
  config: ServerDaemonConfig
}

/** The daemon's events and counters are the ones the REST API's port names. */
export type {
  NotificationEvent,
  QueuedResultEvent,
  QueueStatus,
  SendEvent,
  LwM2mServerEvents as ServerDaemonEvents,
  LwM2mServerStats as ServerDaemonStats,
} from '../api/port.js'

/** The LwM2M server daemon: the REST API's port (what routes use) plus its lifecycle. */
export interface ServerDaemon extends LwM2mServerPort {
  /** Binds CoAP (and HTTP when httpPort is set). */
  start(): Promise<{ address: PeerAddress; http?: { url: string } }>
  /** Ordered shutdown: refuse requests, cancel observations, stop timers, close HTTP, close sessions and socket. */
  stop(): Promise<void>
  readonly registrations: RegistrationStore
  /**
   * Sends a request to a registered endpoint; ClientNotRegisteredError when it is not registered.
   * A queue-mode device's requests wait until it talks, in order: after `queueTimeoutMs` (default
   * the config's) this rejects with RequestQueuedError and the outcome comes as 'queued-result';
   * QueueFullError when too many wait.
   */
  send(endpoint: string, request: LwM2mRequest, opts?: { timeoutMs?: number; queueTimeoutMs?: number }): Promise<LwM2mResponse>
  /** Queue-mode state of a registered endpoint (undefined when not registered). */
  queueStatus(endpoint: string): QueueStatus | undefined
  /**
   * Observes a path, or several with Observe-Composite; notifications go to `onNotification` and
   * to the 'notification' event (a composite one carries `paths` and `composite`).
   */
  observe(endpoint: string, request: ObserveRequest, onNotification?: (r: LwM2mResponse) => void): Promise<LwM2mObservation>
  readonly events: EventEmitter<LwM2mServerEvents>
  /** The fastify instance (after start with httpPort); the REST API registers on it. */
  readonly http: FastifyInstance | undefined
  stats(): LwM2mServerStats
}

const BOOTSTRAP_REQUEST_TRIGGER = 9

/** Creates the LwM2M server daemon (call start()). */
export function createServerDaemon(deps: ServerDaemonDeps): ServerDaemon {
  const { security, config } = deps
  const logger = deps.logger.child({ daemon: 'server' })
  const models = deps.models ?? loadDefaultModels()
  const transport = deps.transport
  const dtls = dtlsOf(transport)
  const useDtls = transport.kind === 'dtls'
  const registrations = deps.registrations ?? createInMemoryRegistrationStore()
  const observations = createObservationRegistry()
  const queue = createRequestQueue({
    ...(config.queueAwakeMs !== undefined && { awakeMs: config.queueAwakeMs }),
    ...(config.queueMaxPerDevice !== undefined && { maxPerDevice: config.queueMaxPerDevice }),
  })
  const events = new EventEmitter<LwM2mServerEvents>()
  const counters = { revoked: 0, moved: 0 }
  let stopping = false
  let started = false
  let sweeper: ExpirySweeper | undefined
  // Reports a blocked event loop (DTLS handshakes and CoAP timers stall with it).
  let watchdog: EventLoopWatchdog | undefined
  let unsubscribe: (() => void) | undefined
  let http: FastifyInstance | undefined

  const coap: CoapEndpoint = createCoapEndpoint({ transport, logger, ...config.coapTimers })
  const sender = createRequestSender({ coap, models, logger })

  const forgetObservations = (endpoint: string): void => {
    for (const o of observations.forget(endpoint)) void o.cancel().catch(() => {})
  }

  /** Endpoints this server sent to another one: their server URI (on chain) when they left. */
  const movedAway = new Map<string, string>()
  const admit = (endpoint: string): string | undefined => {
    const left = movedAway.get(endpoint)
    if (left === undefined) return undefined
    // Still pointed elsewhere on chain: a bootstrap server with a stale view sent it back here.
    if (security.byEndpoint(endpoint)?.server.uri === left) return `moved to ${left}`
    movedAway.delete(endpoint)
    return undefined
  }

  const handler = createRegistrationHandler({
    security,
    store: registrations,
    logger,
    admit,
    requireIdentity: useDtls,
    listener: {
      registered: (reg) => {
        // A re-registration replaces the old one: its queued requests went to the old registration.
        queue.wake(reg.endpoint)
        events.emit('registered', reg)
      },
      updated: (reg, previous) => {
        queue.wake(reg.endpoint)
        events.emit('updated', reg, previous)
      },
      deregistered: (reg, reason) => {
        forgetObservations(reg.endpoint)
        // A re-registration ('replaced') keeps the queue: its requests go out over the new session.
        if (reason !== 'replaced') queue.forget(reg.endpoint, new ClientNotRegisteredError(reg.endpoint))
        events.emit('deregistered', reg, reason)
      },
    },
  })

  /** Models of the object versions each registration announced (`</3>;ver=1.2`), computed once per registration. */
  const modelsByRegistration = new WeakMap<Registration, ModelRegistry>()
  const modelsOf = (reg: Registration): ModelRegistry => {
    let m = modelsByRegistration.get(reg)
    if (!m) modelsByRegistration.set(reg, (m = modelsForObjects(models, reg.objectLinks)))
    return m
  }

  const sendHandler = createSendHandler({
    store: registrations,
    models,
    modelsOf,
    logger,
    requireIdentity: useDtls,
    onSend: (event) => {
      queue.wake(event.endpoint)
      events.emit('send', event)
    },
  })

  coap.onRequest((req, ctx) => {
    if (stopping) return { code: '5.03' }
    return handler.handle(req, ctx) ?? sendHandler.handle(req, ctx) ?? { code: '4.04' }
  })

  const target = (endpoint: string): PeerContext => {
    const reg = registrations.byEndpoint(endpoint)
    if (!reg) throw new ClientNotRegisteredError(endpoint)
    return {
      models: modelsOf(reg),
      peer: reg.peer,
      endpoint,
      rootPath: reg.rootPath,
      lwm2mVersion: reg.lwm2mVersion,
      ...(reg.contentFormats && { contentFormats: [...reg.contentFormats] }),
    }
  }

  /** Ends every DTLS session of a server identity (revocation: the device may not even be registered). */
  const closeSessionsOf = (identity: string, peer?: PeerAddress): void => {
    if (peer) transport.closeSession(peer, 'revoked')
    for (const s of dtls?.sessions() ?? []) {
      if (s.identity === identity && (!peer || peerKey(s.peer) !== peerKey(peer))) transport.closeSession(s.peer, 'revoked')
    }
  }

  const revoke = (endpoint: string, identity: string): void => {
    movedAway.delete(endpoint)
    const reg = registrations.byEndpoint(endpoint)
    if (reg) handler.remove(reg.id, 'revoked')
    if (useDtls) closeSessionsOf(identity, reg?.peer)
    counters.revoked++
    logger.child({ endpoint }).warn({ identity }, 'client revoked: registration removed, sessions closed')
  }

  /** Mobility: send the device back to bootstrap (Execute /1/x/9), else refuse its next Update. */
  const move = async (reg: Registration): Promise<void> => {
    const log = logger.child({ endpoint: reg.endpoint })
    counters.moved++
    const instance = registeredInstances(reg, 1)[0]
    if (instance !== undefined) {
      const path: LwM2mPath = { objectId: 1, instanceId: instance, resourceId: BOOTSTRAP_REQUEST_TRIGGER }
      try {
        const res = await sender.send(target(reg.endpoint), { kind: 'execute', path }, { timeoutMs: config.moveTimeoutMs ?? 10_000 })
        if (res.success) {
          log.info({ path: formatPath(path) }, 'client moved: Bootstrap-Request Trigger executed')
          const current = registrations.byEndpoint(reg.endpoint)
          if (current) handler.remove(current.id, 'moved')
          return
        }
        log.info({ code: res.coapCode }, 'Bootstrap-Request Trigger refused; refusing the next update instead')
      } catch (err) {
        log.info({ err: (err as Error).message }, 'Bootstrap-Request Trigger failed; refusing the next update instead')
      }
    }
    handler.refuseNextUpdate(reg.endpoint)
  }

  const onSecurityChange = (change: SecurityChange): void => {
    if (stopping) return
    if (change.kind === 'removed') {
      revoke(change.previous.endpoint, change.previous.server.identity)
      return
    }
    if (change.kind !== 'updated' || !change.previous) return
    const before = change.previous.server
    const after = change.client.server
    if (before.identity !== after.identity || !sameKey(before.key, after.key)) {
      // New credentials: the old session must not outlive them.
      revoke(change.client.endpoint, before.identity)
      return
    }
    if (before.uri !== after.uri) {
      const reg = registrations.byEndpoint(change.client.endpoint)
      if (reg) {
        movedAway.set(change.client.endpoint, after.uri)
        void move(reg)
      }
    }
  }

  /**
   * Runs a request of a queue-mode device through its queue: at once when it is awake, else when it
   * next talks. Waits up to `waitMs` (default the config's) for the outcome, then throws
   * RequestQueuedError and publishes the outcome as 'queued-result' when it comes.
   */
  const viaQueue = async <T>(
    endpoint: string,
    path: string | undefined,
    waitMs: number | undefined,
    run: () => Promise<T>,
    responseOf: (v: T) => LwM2mResponse = (v) => v as unknown as LwM2mResponse,
  ): Promise<T> => {
    let q: QueuedRequest<T>
    try {
      q = queue.submit(endpoint, async () => {
        try {
          return await run()
        } catch (err) {
          // No answer: it went back to sleep; the next requests wait for it to talk again.
          if (err instanceof RequestTimeoutError) queue.sleep(endpoint)
          throw err
        }
      })
    } catch (err) {
      // Refused (REST 503): one line, so that an operator sees which device's queue overflowed.
      if (err instanceof QueueFullError) logger.child({ endpoint }).warn({ path, queued: queue.queued(endpoint) }, 'queue-mode device queue full: request refused')
      throw err
    }
    if (q.immediate) return q.result
    const wait = waitMs ?? config.queueTimeoutMs ?? 30_000
    let timer: NodeJS.Timeout | undefined
    const gaveUp = new Promise<'queued'>((r) => {
      timer = setTimeout(() => r('queued'), wait)
      timer.unref?.()
    })
    const first = await Promise.race([q.result.then((value) => ({ value }), (error: unknown) => ({ error })), gaveUp])
    clearTimeout(timer)
    if (first !== 'queued') {
      if ('error' in first) throw first.error
      return first.value
    }
    logger.child({ endpoint }).info({ requestId: q.id, waitMs: wait }, 'queue-mode device still asleep: request stays queued')
    const at = path === undefined ? {} : { path }
    q.result.then(
      (value) => events.emit('queued-result', { endpoint, requestId: q.id, ...at, response: responseOf(value) }),
      (err: unknown) =>
        events.emit('queued-result', {
          endpoint,
          requestId: q.id,
          ...at,
          error: { code: (err as { code?: string }).code ?? 'LWC_INTERNAL', message: (err as LwchainError).shortMessage ?? String(err) },
        }),
    )
    throw new RequestQueuedError(endpoint, q.id)
  }

  const daemon: ServerDaemon = {
    registrations,
    events,
    get http() {
      return http
    },
    async start() {
      if (started || stopping) throw new LwchainError('the server daemon was already started', { code: 'LWC_DAEMON_STARTED' })
      started = true
      watchdog = startEventLoopWatchdog({ logger })
      const address = await coap.start()
      unsubscribe = security.subscribe(onSecurityChange)
      sweeper = startExpirySweeper({
        store: registrations,
        intervalMs: config.sweepIntervalMs ?? 1_000,
        onExpired: (reg) => handler.remove(reg.id, 'expired'),
      })
      let url: string | undefined
      if (config.httpPort !== undefined) {
        http = createHttpApp({ logger, health: () => healthReport(registrations.size, deps.chainLag?.(), deps.anchoring?.()) })
        await deps.extendHttp?.(http, daemon)
        url = await listenHttp(http, { host: config.httpHost, port: config.httpPort })
      }
      logger.info({ coap: `${useDtls ? 'coaps' : 'coap'}://${peerKey(address)}`, http: url }, 'LwM2M server listening')
      return { address, ...(url && { http: { url } }) }
    },
    async stop() {
      if (stopping) return
      stopping = true
      if (!started) return
      watchdog?.stop()
      unsubscribe?.()
      sweeper?.stop()
      for (const reg of registrations.all()) {
        forgetObservations(reg.endpoint)
        queue.forget(reg.endpoint, new ClientNotRegisteredError(reg.endpoint))
      }
      const results = await Promise.allSettled([http?.close()])
      await coap.stop()
      for (const r of results) if (r.status === 'rejected') logger.warn({ err: r.reason }, 'HTTP close failed')
      logger.info('LwM2M server stopped')
    },
    async send(endpoint, request, opts) {
      const reg = registrations.byEndpoint(endpoint)
      if (!reg) throw new ClientNotRegisteredError(endpoint)
      const sendOpts = opts?.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : undefined
      if (!reg.queueMode) return sender.send(target(endpoint), request, sendOpts)
      return viaQueue(endpoint, 'path' in request ? formatPath(request.path) : undefined, opts?.queueTimeoutMs, () =>
        sender.send(target(endpoint), request, sendOpts),
      )
    },
    queueStatus(endpoint) {
      const reg = registrations.byEndpoint(endpoint)
      if (!reg) return undefined
      const queueMode = reg.queueMode === true
      return { queueMode, awake: !queueMode || queue.isAwake(endpoint), queued: queue.queued(endpoint) }
    },
    async observe(endpoint, request, onNotification) {
      const paths = request.kind === 'observe' ? [formatPath(request.path)] : request.paths.map(formatPath)
      // A composite observation is listed (and logged) under its paths joined: "/3/0/13,/3303/0/5700".
      const path = paths.join(',')
      const start = async (): Promise<LwM2mObservation> => {
        const reg = registrations.byEndpoint(endpoint)
        const obs = await sender.observe(target(endpoint), request, (response) => {
          queue.wake(endpoint)
          const composite = request.kind === 'observeComposite' ? { paths, composite: response.composite ?? [] } : {}
          events.emit('notification', { endpoint, path, ...(response.node && { node: response.node }), ...composite, response })
          onNotification?.(response)
        })
        if (!obs.active || !reg) return obs
        const entry = observations.add({ endpoint, registrationId: reg.id, path, cancel: () => obs.cancel() })
        return {
          ...obs,
          cancel: async () => {
            observations.remove(entry.id)
            await obs.cancel()
          },
        }
      }
      const reg = registrations.byEndpoint(endpoint)
      if (!reg) throw new ClientNotRegisteredError(endpoint)
      if (!reg.queueMode) return start()
      // A queued observe reports its first answer as 'queued-result'; notifications follow as usual.
      return viaQueue(endpoint, path, undefined, start, (o) => o.response)
    },
    stats: () => ({
      registrations: registrations.size,
      observations: observations.size,
      ...(dtls && { sessions: dtls.sessions().length, ...handshakeStats(dtls.stats()) }),
      ...counters,
      unknownIdentities: dtls?.stats().unknownIdentities ?? 0,
    }),
  }
  return daemon
}

function handshakeStats(s: { handshakes: number; handshakesCompleted: number; handshakesFailed: number }): Pick<LwM2mServerStats, 'handshakes'> {
  return { handshakes: { completed: s.handshakesCompleted, failed: s.handshakesFailed, inProgress: s.handshakes } }
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.length === b.length && a.every((x, i) => x === b[i])
}
