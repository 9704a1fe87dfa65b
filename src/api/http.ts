/**
 * The HTTP app the REST API runs in: fastify with the OpenAPI collector, the JSON 404 and
 * `/api/health`. It lives in src/api/ so that the API registers its own OpenAPI collector; the
 * server daemon only creates the app, hands it to the API, and listens.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { registerOpenApi } from './openapi.js'
import type { ViewLag } from '../chain/view/types.js'
import type { Logger } from '../logger.js'

/** What `GET /api/health` answers. */
export interface HealthReport {
  /** 'degraded' while the chain view's last sync failed (it still serves its last state). */
  status: 'ok' | 'degraded'
  registrations: number
  /** The chain view's lag; null with `--store memory` and no chain. */
  chain: ViewLag | null
  /** The anomaly ledger's anchoring, when it runs: unhealthy on a condition only an operator can fix (no funds, fee cap). */
  anchoring?: AnchoringHealth
}

/** Whether anchoring can make progress on its own. */
export interface AnchoringHealth {
  healthy: boolean
  lastError?: string
  code?: string
}

export interface HttpAppOptions {
  logger: Logger
  health: () => HealthReport
}

const healthSchema = {
  tags: ['operations'],
  summary: 'liveness and chain view lag (no token)',
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded'] },
        registrations: { type: 'integer' },
        chain: { type: ['object', 'null'], additionalProperties: true },
        anchoring: { type: 'object', additionalProperties: true },
      },
    },
  },
}

/**
 * Builds the server daemon's fastify instance with the OpenAPI collector and `/api/health`. The
 * REST API registers its routes on the returned instance (inside a plugin, or after awaiting
 * `app.after()`, so the collector sees them) before `listenHttp`.
 */
export function createHttpApp(o: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: o.logger.child({ component: 'http' }),
    // An endpoint name is up to 252 bytes of UTF-8 (src/lwm2m/endpoint-name.ts): 756 characters
    // percent-encoded in a path parameter, beyond fastify's default of 100 (414 otherwise).
    // (As a router option: the top-level one is deprecated and prints a warning onto the terminal.)
    routerOptions: { maxParamLength: 1024 },
    // EventSource sends its token as ?token=: request lines must not carry it.
    childLoggerFactory: (logger, bindings, opts) => logger.child(bindings, { ...opts, serializers: { ...opts.serializers, req: requestLogFields } }),
  }) as unknown as FastifyInstance
  registerOpenApi(app)
  // JSON 404 in the API's error shape; fastify's own would log the raw URL (and a ?token= with it).
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).type('application/json').send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  )
  // In a plugin, so that it loads after the OpenAPI collector and appears in the document.
  void app.register(async (scope) => {
    // Health is polled often: keep its request lines out of info logs.
    scope.get('/api/health', { logLevel: 'warn', schema: healthSchema }, async () => {
      const report = o.health()
      // Infinity (never synced) is not JSON: report it as null.
      const chain = report.chain && { ...report.chain, sinceMs: Number.isFinite(report.chain.sinceMs) ? report.chain.sinceMs : null }
      return { ...report, chain }
    })
  })
  return app
}

/** What a request line logs: method, URL with credentials in the query masked, host, peer. */
export function requestLogFields(req: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remoteAddress?: string } }): Record<string, unknown> {
  const url = (req.url ?? '').replace(/([?&](?:token|access_token|password|key)=)[^&#]*/gi, '$1***')
  return { method: req.method, url, host: req.host ?? req.hostname, remoteAddress: req.ip ?? req.socket?.remoteAddress }
}

/** Listens (default 127.0.0.1, port 0) and returns the base URL, e.g. `http://127.0.0.1:8080`. */
export async function listenHttp(app: FastifyInstance, o: { host?: string; port?: number }): Promise<string> {
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('HTTP server has no TCP address')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/** The health report from a registration count, an optional chain lag and the ledger's anchoring. */
export function healthReport(registrations: number, lag: ViewLag | undefined, anchoring?: AnchoringHealth): HealthReport {
  const degraded = (lag && !lag.healthy) || (anchoring && !anchoring.healthy)
  return { status: degraded ? 'degraded' : 'ok', registrations, chain: lag ?? null, ...(anchoring && { anchoring }) }
}

/** Errors anchoring cannot recover from without an operator (funding the key, raising the fee cap). */
const OPERATOR_ERRORS = new Set(['LWC_INSUFFICIENT_FUNDS', 'LWC_FEE_CAP', 'LWC_UNAUTHORIZED', 'LWC_ANOMALY_STORE_MISSING'])

/** Anchoring health from the ledger's last error. */
export function anchoringHealth(s: { lastError?: string; lastErrorCode?: string }): AnchoringHealth {
  const healthy = !(s.lastErrorCode && OPERATOR_ERRORS.has(s.lastErrorCode))
  return { healthy, ...(s.lastError && { lastError: s.lastError }), ...(s.lastErrorCode && { code: s.lastErrorCode }) }
}
