/**
 * The REST API of the LwM2M server daemon (DESIGN.md, prefix /api): authentication, device
 * operations, events (SSE), anomalies, admin routes, metrics and the OpenAPI document, mounted on
 * the HTTP app of ./http.ts (createHttpApp has already registered the OpenAPI collector and
 * /api/health).
 */
import type { FastifyInstance } from 'fastify'
import type { AnomalyLedger } from '../anomalies/ledger.js'
import type { ChainConnection } from '../chain/connectChain.js'
import type { Sealer } from '../chain/records/sealValue.js'
import type { ChainView } from '../chain/view/createChainView.js'
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { apiErrorHandler, installErrorHandlers } from './errors.js'
import { registerOpenApiRoute } from './openapi.js'
import { registerAuth, requireRole, type UserDirectory } from './plugin-auth.js'
import { registerAdminClientRoutes } from './routes/admin-clients.js'
import { NO_WRITER_KEY } from './routes/admin-context.js'
import { registerAdminUserRoutes } from './routes/admin-users.js'
import { registerAnomalyRoutes } from './routes/anomalies.js'
import { registerClientRoutes, type ApiObservations } from './routes/clients.js'
import { registerEventRoutes, type EventStreams } from './routes/events.js'
import { registerCompositeRoutes } from './routes/composite.js'
import { registerCompositeObserveRoutes } from './routes/composite-observe.js'
import { registerMeRoute } from './routes/me.js'
import { countRequests, registerMetricsRoutes } from './routes/metrics.js'
import { registerModelRoutes } from './routes/models.js'
import { registerConsole, type ConsoleOptions } from './static.js'
import { DEFAULT_AUTO_OBSERVE, startAutoObserve, type AutoObserveConfig } from './values/autoObserve.js'
import { feedLatestValues } from './values/feed.js'
import { createLatestValues, type LatestValues, type LatestValuesOptions } from './values/latestValues.js'
import type { LwM2mServerPort } from './port.js'

export interface ApiDeps {
  /** The LwM2M server (the daemon hands itself in through the port the API owns). */
  daemon: LwM2mServerPort
  logger: Logger
  /** The per-deployment JWT key (loadOrCreateJwtKey(configDir)). */
  jwtKey: Uint8Array
  /** Accounts for login and token re-checks: the ChainView (or any UserDirectory). */
  users: UserDirectory
  models?: ModelRegistry
  /** The live chain view: provisioned clients in GET /api/clients, chain lag in metrics, admin routes. */
  view?: ChainView
  /** The anomaly ledger: /api/anomalies, anomaly events, ledger metrics. Absent: no anomaly routes. */
  ledger?: AnomalyLedger
  /**
   * Config dir (and view): the admin routes. With `conn`, a signer holding the writer role, they
   * write on chain; without it their writes answer 403 saying the server has no writer key.
   * `sealer`: the daemon's SealingPool, so the routes' sealing runs off the event loop.
   */
  admin?: { conn?: ChainConnection; configDir: string; sealer?: Sealer }
  tokenTtlSeconds?: number
  /** Timeout of a device request made through the API; default the daemon's CoAP timers. */
  requestTimeoutMs?: number
  /** SSE heartbeat period, per-client buffer and replay buffer (Last-Event-ID). */
  events?: { heartbeatMs?: number; bufferSize?: number; replaySize?: number }
  /** GET /api/metrics without a token (scraper on loopback); default admin only. */
  publicMetrics?: boolean
  /** Resources observed on every registration (default /3303/0/5700, no attributes); `{paths: []}` turns it off. */
  autoObserve?: AutoObserveConfig
  /** Bounds of the latest-values store. */
  values?: LatestValuesOptions
  /** Serve the web console at / (dist/web). Default false. */
  console?: boolean | ConsoleOptions
}

/** What registerApi returns (for metrics, tests and orderly shutdown). */
export interface MountedApi {
  observations: ApiObservations
  /** The latest value per device and resource (reads, notifications, Send). */
  values: LatestValues
  streams: EventStreams
  /** Every route registerApi added (method, URL template), HEAD included. */
  routes: Array<{ method: string; url: string }>
}

/**
 * Mounts the whole REST API on the daemon's fastify instance (call from the daemon's extendHttp,
 * before listen). Routes live in one plugin so the OpenAPI collector, registered first, sees them.
 */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<MountedApi> {
  const models = deps.models ?? loadDefaultModels()
  const requests = countRequests(app)
  installErrorHandlers(app)
  const routes: MountedApi['routes'] = []
  let mounted: MountedApi | undefined
  await app.register(async (api) => {
    api.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url })
    })
    api.setErrorHandler(apiErrorHandler)
    const liveView = deps.view
    await registerAuth(api, {
      users: deps.users,
      jwtKey: deps.jwtKey,
      logger: deps.logger,
      ...(deps.tokenTtlSeconds !== undefined && { tokenTtlSeconds: deps.tokenTtlSeconds }),
      // Read-your-writes: a login the view misses waits for one sync round of the live view.
      ...(liveView && deps.users === liveView && { refreshUsers: () => liveView.syncNow() }),
    })
    registerOpenApiRoute(api)
    const view = deps.view
    const values = createLatestValues(deps.values)
    const unfeed = feedLatestValues(deps.daemon.events as never, values)
    const observations = registerClientRoutes(api, {
      daemon: deps.daemon,
      models,
      requireRole,
      values,
      ...(view && { provisioned: () => view.clients() }),
      ...(deps.requestTimeoutMs !== undefined && { requestTimeoutMs: deps.requestTimeoutMs }),
    })
    registerCompositeRoutes(api, {
      daemon: deps.daemon,
      models,
      requireRole,
      ...(deps.requestTimeoutMs !== undefined && { requestTimeoutMs: deps.requestTimeoutMs }),
    })
    const compositeObservations = registerCompositeObserveRoutes(api, { daemon: deps.daemon, requireRole, values })
    registerModelRoutes(api, { models, requireRole })
    const streams = registerEventRoutes(api, { daemon: deps.daemon, requireRole, ...(deps.ledger && { ledger: deps.ledger }), ...deps.events })
    if (deps.ledger) registerAnomalyRoutes(api, { ledger: deps.ledger })
    if (deps.admin && view) {
      const adminDeps = { conn: deps.admin.conn, configDir: deps.admin.configDir, view, sealer: deps.admin.sealer }
      registerAdminClientRoutes(api, adminDeps)
      registerAdminUserRoutes(api, adminDeps)
    }
    const adminWritesOff = !deps.admin || !view ? 'device and user management needs a deployment and its chain view' : deps.admin.conn ? undefined : NO_WRITER_KEY
    registerMeRoute(api, { ...(adminWritesOff !== undefined && { adminWritesOff }) })
    registerMetricsRoutes(
      api,
      {
        daemon: deps.daemon,
        requireRole,
        streams,
        ...(deps.ledger && { ledger: deps.ledger }),
        ...(view && { chainLag: () => view.lag() }),
        ...(deps.publicMetrics && { public: true }),
      },
      requests,
    )
    const autoObserver = startAutoObserve({
      daemon: deps.daemon,
      config: deps.autoObserve ?? DEFAULT_AUTO_OBSERVE,
      adopt: (endpoint, path, obs) => observations.adopt(endpoint, path, obs),
      logger: deps.logger,
    })
    api.addHook('onClose', async () => {
      autoObserver.stop()
      unfeed()
      await Promise.all([observations.cancelAll(), compositeObservations.cancelAll()])
    })
    if (deps.console) await registerConsole(api, deps.console === true ? {} : deps.console)
    mounted = { observations, values, streams, routes }
  })
  return mounted!
}
