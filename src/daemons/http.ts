import Fastify, { type FastifyInstance } from 'fastify'
import type { ViewLag } from '../chain/view/types.js'
import type { Logger } from '../logger.js'

/** What `GET /api/health` answers. */
export interface HealthReport {
  /** 'degraded' while the chain view's last sync failed (it still serves its last state). */
  status: 'ok' | 'degraded'
  registrations: number
  /** The chain view's lag; null with `--store memory` and no chain. */
  chain: ViewLag | null
}

export interface HttpAppOptions {
  logger: Logger
  health: () => HealthReport
}

/**
 * Builds the server daemon's fastify instance with `/api/health`. The REST issue registers its
 * routes on the returned instance before `listenHttp`.
 */
export function createHttpApp(o: HttpAppOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: o.logger.child({ component: 'http' }) })
  // Health is polled often: keep its request lines out of info logs.
  app.get('/api/health', { logLevel: 'warn' }, async () => {
    const report = o.health()
    // Infinity (never synced) is not JSON: report it as null.
    const chain = report.chain && { ...report.chain, sinceMs: Number.isFinite(report.chain.sinceMs) ? report.chain.sinceMs : null }
    return { ...report, chain }
  })
  return app as unknown as FastifyInstance
}

/** Listens (default 127.0.0.1, port 0) and returns the base URL, e.g. `http://127.0.0.1:8080`. */
export async function listenHttp(app: FastifyInstance, o: { host?: string; port?: number }): Promise<string> {
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('HTTP server has no TCP address')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/** The health report from a registration count and an optional chain lag. */
export function healthReport(registrations: number, lag: ViewLag | undefined): HealthReport {
  return { status: lag && !lag.healthy ? 'degraded' : 'ok', registrations, chain: lag ?? null }
}
