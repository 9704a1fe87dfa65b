/**
 * GET /api/events: a Server-Sent Events stream of the server's registration, update,
 * de-registration and notification events and of the anomaly ledger's events, filterable by
 * `?endpoint=` (comma-separated). EventSource cannot set headers, so the token may come as
 * `?token=`. Each client has a bounded buffer: a client that does not read is disconnected
 * (EventSource reconnects) rather than allowed to grow the server's memory.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AnomalyLedger, LedgerEvent } from '../../anomalies/ledger.js'
import type { NotificationEvent, ServerDaemon } from '../../daemons/server.js'
import { flattenNode } from '../../lwm2m/codec/index.js'
import { FORMAT_NAMES } from '../../lwm2m/content-format.js'
import { parsePath } from '../../lwm2m/path.js'
import type { DeregistrationReason, Registration } from '../../lwm2m/server/index.js'
import { registrationJson, type RoleGuard } from './clients.js'

export interface EventRoutesDeps {
  daemon: ServerDaemon
  ledger?: AnomalyLedger
  requireRole: RoleGuard
  /** Comment line sent this often so proxies keep the stream open; default 15 s. */
  heartbeatMs?: number
  /** Events queued per client while its socket is full before it is disconnected; default 1,000. */
  bufferSize?: number
}

/** One event of the stream. */
export interface ApiEvent {
  type: 'registration' | 'update' | 'deregistration' | 'notification' | 'anomaly' | 'anomaly-included' | 'anomaly-anchored' | 'anomaly-unanchored'
  endpoint?: string
  data: Record<string, unknown>
}

/** Stream statistics (for /api/metrics). */
export interface EventStreams {
  clients(): number
  dropped(): number
}

const NAME_BY_FORMAT = new Map<number, string>(Object.entries(FORMAT_NAMES).map(([k, v]) => [v, k]))

interface SseClient {
  raw: ServerResponse
  endpoints?: Set<string>
  queue: string[]
  blocked: boolean
}

/** Registers GET /api/events; returns its statistics. Streams end when the app closes. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): EventStreams {
  const clients = new Set<SseClient>()
  const bufferSize = deps.bufferSize ?? 1_000
  let seq = 0
  let dropped = 0

  const close = (c: SseClient): void => {
    clients.delete(c)
    // A client that does not read would never let end() flush: cut it off.
    if (c.blocked) c.raw.destroy()
    else if (!c.raw.writableEnded) c.raw.end()
  }
  const write = (c: SseClient, chunk: string): void => {
    if (c.blocked) {
      if (c.queue.length >= bufferSize) {
        dropped++
        close(c)
        return
      }
      c.queue.push(chunk)
      return
    }
    if (!c.raw.write(chunk)) c.blocked = true
  }
  const broadcast = (e: ApiEvent): void => {
    if (clients.size === 0) return
    const chunk = `id: ${++seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ type: e.type, ...(e.endpoint !== undefined && { endpoint: e.endpoint }), ...e.data })}\n\n`
    for (const c of clients) {
      if (c.endpoints && (e.endpoint === undefined || !c.endpoints.has(e.endpoint))) continue
      write(c, chunk)
    }
  }

  const onRegistered = (reg: Registration) => broadcast({ type: 'registration', endpoint: reg.endpoint, data: { registration: registrationJson(reg) } })
  const onUpdated = (reg: Registration) => broadcast({ type: 'update', endpoint: reg.endpoint, data: { registration: registrationJson(reg) } })
  const onDeregistered = (reg: Registration, reason: DeregistrationReason) =>
    broadcast({ type: 'deregistration', endpoint: reg.endpoint, data: { registrationId: reg.id, reason } })
  const onNotification = (n: NotificationEvent) => {
    let values: Record<string, unknown> = {}
    try {
      if (n.node) values = flattenNode(n.node, parsePath(n.path))
    } catch {
      values = {}
    }
    broadcast({
      type: 'notification',
      endpoint: n.endpoint,
      data: {
        path: n.path,
        code: n.response.coapCode,
        ...(n.response.format !== undefined && { format: NAME_BY_FORMAT.get(n.response.format) ?? String(n.response.format) }),
        values,
        ...(n.response.errorMessage !== undefined && { error: n.response.errorMessage }),
      },
    })
  }
  const onLedger = (e: LedgerEvent) => {
    if (e.type === 'accepted') broadcast({ type: 'anomaly', endpoint: e.item.endpoint, data: { anomaly: e.item as unknown as Record<string, unknown> } })
    // included: mined, not final; anchored: final; unanchored: a reorganisation removed it before it was final.
    else broadcast({ type: `anomaly-${e.type}`, data: { ids: e.ids, batchId: e.batchId, txHash: e.txHash, block: e.block } })
  }
  deps.daemon.events.on('registered', onRegistered)
  deps.daemon.events.on('updated', onUpdated)
  deps.daemon.events.on('deregistered', onDeregistered)
  deps.daemon.events.on('notification', onNotification)
  const unsubscribeLedger = deps.ledger?.subscribe(onLedger)

  const heartbeat = setInterval(() => {
    for (const c of clients) write(c, `: heartbeat ${Date.now()}\n\n`)
  }, deps.heartbeatMs ?? 15_000)
  heartbeat.unref()

  // Before the server closes: an open stream would keep close() waiting forever.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat)
    for (const c of [...clients]) close(c)
  })
  app.addHook('onClose', async () => {
    deps.daemon.events.off('registered', onRegistered)
    deps.daemon.events.off('updated', onUpdated)
    deps.daemon.events.off('deregistered', onDeregistered)
    deps.daemon.events.off('notification', onNotification)
    unsubscribeLedger?.()
  })

  app.get(
    '/api/events',
    {
      // EventSource cannot send headers: accept the token as ?token= (before the role check runs).
      onRequest: async (req: FastifyRequest) => {
        const token = (req.query as { token?: string }).token
        if (token && !req.headers.authorization) req.headers.authorization = `Bearer ${token}`
      },
      preHandler: deps.requireRole('admin', 'application', 'user'),
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events: registration, update, deregistration, notification, anomaly, anomaly-included, anomaly-anchored, anomaly-unanchored',
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: {
            endpoint: { type: 'string', description: 'only events of these endpoints (comma-separated)' },
            token: { type: 'string', description: 'the bearer token, for EventSource which cannot set headers' },
          },
        },
        response: { 200: { description: 'text/event-stream', type: 'string' } },
      },
    },
    async (req, reply) => {
      const q = req.query as { endpoint?: string }
      const endpoints = q.endpoint ? new Set(q.endpoint.split(',').map((s) => s.trim()).filter(Boolean)) : undefined
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      const c: SseClient = { raw, queue: [], blocked: false, ...(endpoints && { endpoints }) }
      raw.on('drain', () => {
        c.blocked = false
        while (c.queue.length > 0 && !c.blocked) if (!raw.write(c.queue.shift()!)) c.blocked = true
      })
      raw.on('close', () => clients.delete(c))
      clients.add(c)
      raw.write(`retry: 2000\n: connected\n\n`)
    },
  )

  return { clients: () => clients.size, dropped: () => dropped }
}
