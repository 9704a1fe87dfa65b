/**
 * The REST API of the LwM2M server daemon (DESIGN.md, prefix /api): authentication, device
 * operations, events (SSE), anomalies, admin routes, metrics and the OpenAPI document, mounted on
 * the HTTP app of ./http.ts (createHttpApp has already registered the OpenAPI collector and
 * /api/health).
 */
import type { FastifyInstance } from 'fastify'
import type { AnomalyLedger } from '../anomalies/ledger.js'
import type { ChainConnection } from '../chain/connectChain.js'
import type { ChainView } from '../chain/view/createChainView.js'
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { apiErrorHandler, installErrorHandlers } from './errors.js'
import { registerOpenApiRoute } from './openapi.js'
import { registerAuth, requireRole, type UserDirectory } from './plugin-auth.js'
import { registerAdminClientRoutes } from './routes/admin-clients.js'
import { registerAdminUserRoutes } from './routes/admin-users.js'
import { registerAnomalyRoutes } from './routes/anomalies.js'
import { registerClientRoutes, type ApiObservations } from './routes/clients.js'
import { registerEventRoutes, type EventStreams } from './routes/events.js'
import { registerCompositeRoutes } from './routes/composite.js'
import { countRequests, registerMetricsRoutes } from './routes/metrics.js'
import { registerConsole, type ConsoleOptions } from './static.js'
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
  /** Signer connection and config dir: with both (and view), the admin routes that write on chain. */
  admin?: { conn: ChainConnection; configDir: string }
  tokenTtlSeconds?: number
  /** Timeout of a device request made through the API; default the daemon's CoAP timers. */
  requestTimeoutMs?: number
  /** SSE heartbeat period and per-client buffer. */
  events?: { heartbeatMs?: number; bufferSize?: number }
  /** GET /api/metrics without a token (scraper on loopback); default admin only. */
  publicMetrics?: boolean
  /** Serve the web console at / (dist/web). Default false. */
  console?: boolean | ConsoleOptions
}

/** What registerApi returns (for metrics, tests and orderly shutdown). */
export interface MountedApi {
  observations: ApiObservations
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
    await registerAuth(api, { users: deps.users, jwtKey: deps.jwtKey, logger: deps.logger, ...(deps.tokenTtlSeconds !== undefined && { tokenTtlSeconds: deps.tokenTtlSeconds }) })
    registerOpenApiRoute(api)
    const view = deps.view
    const observations = registerClientRoutes(api, {
      daemon: deps.daemon,
      models,
      requireRole,
      ...(view && { provisioned: () => view.clients() }),
      ...(deps.requestTimeoutMs !== undefined && { requestTimeoutMs: deps.requestTimeoutMs }),
    })
    registerCompositeRoutes(api, {
      daemon: deps.daemon,
      models,
      requireRole,
      ...(deps.requestTimeoutMs !== undefined && { requestTimeoutMs: deps.requestTimeoutMs }),
    })
    const streams = registerEventRoutes(api, { daemon: deps.daemon, requireRole, ...(deps.ledger && { ledger: deps.ledger }), ...deps.events })
    if (deps.ledger) registerAnomalyRoutes(api, { ledger: deps.ledger })
    if (deps.admin && view) {
      const adminDeps = { conn: deps.admin.conn, configDir: deps.admin.configDir, view }
      registerAdminClientRoutes(api, adminDeps)
      registerAdminUserRoutes(api, adminDeps)
    }
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
    api.addHook('onClose', async () => {
      await observations.cancelAll()
    })
    if (deps.console) await registerConsole(api, deps.console === true ? {} : deps.console)
    mounted = { observations, streams, routes }
  })
  return mounted!
}
