/**
 * GET /api/metrics in the Prometheus text exposition format (0.0.4): registrations, DTLS
 * handshakes and their failures by reason, chain view lag, anomaly outbox depth and anchored
 * count, SSE clients, and HTTP requests by route and status.
 *
 * Access: admin token by default (the numbers describe the deployment); `public: true` opens it
 * for a scraper that cannot hold a short-lived JWT — bind the HTTP API to loopback then.
 */
import type { FastifyInstance } from 'fastify'
import type { AnomalyLedger } from '../../anomalies/ledger.js'
import type { ViewLag } from '../../chain/view/types.js'
import type { RoleGuard } from './clients.js'
import type { EventStreams } from './events.js'
import type { LwM2mServerPort } from '../port.js'

export interface MetricsRoutesDeps {
  daemon: LwM2mServerPort
  ledger?: AnomalyLedger
  chainLag?: () => ViewLag | undefined
  streams?: EventStreams
  requireRole: RoleGuard
  /** Serve without a token (for a Prometheus scraper on loopback). Default false: admin only. */
  public?: boolean
}

/** Counts HTTP requests by method, route template and status; install before any route. */
export interface RequestCounter {
  lines(): string[]
}

/** Adds an onResponse hook counting requests by method, route (template, not raw URL) and status. */
export function countRequests(app: FastifyInstance): RequestCounter {
  const counts = new Map<string, number>()
  app.addHook('onResponse', async (req, reply) => {
    // The template keeps the label set small (an endpoint name in a label would grow without bound).
    const route = req.routeOptions.url ?? 'unmatched'
    const key = `method="${req.method}",route="${escapeLabel(route)}",status="${reply.statusCode}"`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  })
  return { lines: () => [...counts].map(([labels, n]) => `lwchain_http_requests_total{${labels}} ${n}`) }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** The metrics text (exported for tests and for `lwchain dev`). */
export function renderMetrics(deps: Omit<MetricsRoutesDeps, 'requireRole'>, counters: { registrations: number; deregistrations: Map<string, number> }, requests?: RequestCounter): string {
  const out: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[string, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of samples) out.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(v) ? v : 0}`)
  }
  const s = deps.daemon.stats()
  metric('lwchain_registrations', 'gauge', 'Devices registered now.', [['', s.registrations]])
  metric('lwchain_registrations_total', 'counter', 'Registrations accepted since start.', [['', counters.registrations]])
  metric('lwchain_deregistrations_total', 'counter', 'Registrations ended since start, by reason.', [...counters.deregistrations].map(([r, n]) => [`reason="${r}"`, n]))
  metric('lwchain_observations', 'gauge', 'Observations the server holds.', [['', s.observations]])
  metric('lwchain_clients_revoked_total', 'counter', 'Clients revoked on chain while known here.', [['', s.revoked]])
  metric('lwchain_clients_moved_total', 'counter', 'Clients moved to another server.', [['', s.moved]])
  if (s.sessions !== undefined) metric('lwchain_dtls_sessions', 'gauge', 'Established DTLS sessions.', [['', s.sessions]])
  if (s.handshakes) {
    metric('lwchain_dtls_handshakes_total', 'counter', 'DTLS handshakes completed.', [['', s.handshakes.completed]])
    metric('lwchain_dtls_handshakes_in_progress', 'gauge', 'DTLS handshakes in progress.', [['', s.handshakes.inProgress]])
    const unknown = Math.min(s.unknownIdentities, s.handshakes.failed)
    metric('lwchain_dtls_handshake_failures_total', 'counter', 'DTLS handshakes failed, by reason (unknown_identity: no client has the PSK identity).', [
      ['reason="unknown_identity"', unknown],
      ['reason="other"', s.handshakes.failed - unknown],
    ])
  }
  const lag = deps.chainLag?.()
  if (lag) {
    metric('lwchain_chain_lag_blocks', 'gauge', 'Blocks the chain view is behind the head it saw last.', [['', lag.behindBlocks]])
    metric('lwchain_chain_synced_block', 'gauge', 'Last block the chain view applied.', [['', lag.lastSyncedBlock ?? 0]])
    metric('lwchain_chain_healthy', 'gauge', '1 when the last chain view sync succeeded.', [['', lag.healthy ? 1 : 0]])
  }
  if (deps.ledger) {
    const l = deps.ledger.stats()
    metric('lwchain_anomaly_outbox_depth', 'gauge', 'Accepted anomalies not yet anchored.', [['', l.outboxDepth]])
    metric('lwchain_anomaly_inflight', 'gauge', 'Anomalies in a sent, unconfirmed transaction.', [['', l.inflight]])
    metric('lwchain_anomalies_anchored_total', 'counter', 'Anomalies anchored on chain (all posters).', [['', l.anchored]])
    metric('lwchain_anomaly_batches_total', 'counter', 'Anomaly batches anchored on chain.', [['', l.batches]])
    metric('lwchain_anomaly_duplicates_total', 'counter', 'Anomalies anchored more than once (should stay 0).', [['', l.duplicates]])
    metric('lwchain_anomaly_chain_lag_blocks', 'gauge', 'Blocks the anomaly index is behind.', [['', l.chain.behindBlocks]])
  }
  if (deps.streams) {
    metric('lwchain_sse_clients', 'gauge', 'Open /api/events streams.', [['', deps.streams.clients()]])
    metric('lwchain_sse_dropped_total', 'counter', 'Event streams closed because their client did not read.', [['', deps.streams.dropped()]])
  }
  if (requests) {
    out.push('# HELP lwchain_http_requests_total HTTP requests by method, route and status.', '# TYPE lwchain_http_requests_total counter')
    out.push(...requests.lines())
  }
  return out.join('\n') + '\n'
}

/** Registers GET /api/metrics. */
export function registerMetricsRoutes(app: FastifyInstance, deps: MetricsRoutesDeps, requests?: RequestCounter): void {
  const counters = { registrations: 0, deregistrations: new Map<string, number>() }
  const onRegistered = () => counters.registrations++
  const onDeregistered = (_r: unknown, reason: string) => counters.deregistrations.set(reason, (counters.deregistrations.get(reason) ?? 0) + 1)
  deps.daemon.events.on('registered', onRegistered)
  deps.daemon.events.on('deregistered', onDeregistered)
  app.addHook('onClose', async () => {
    deps.daemon.events.off('registered', onRegistered)
    deps.daemon.events.off('deregistered', onDeregistered)
  })
  app.get(
    '/api/metrics',
    {
      logLevel: 'warn',
      ...(!deps.public && { preHandler: deps.requireRole('admin') }),
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text format 0.0.4); admin token unless the server serves them publicly',
        ...(!deps.public && { security: [{ bearerAuth: [] }] }),
        response: { 200: { type: 'string', description: 'text/plain; version=0.0.4' } },
      },
    },
    async (_req, reply) => {
      reply.type('text/plain; version=0.0.4; charset=utf-8')
      return renderMetrics(deps, counters, requests)
    },
  )
}
