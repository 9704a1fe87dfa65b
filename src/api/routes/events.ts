/**
 * GET /api/events: a Server-Sent Events stream of the server's registration, update,
 * de-registration and notification events and of the anomaly ledger's events, filterable by
 * `?endpoint=` (comma-separated). EventSource cannot set headers, so the token may come as
 * `?token=`. Each client has a bounded buffer: a client that does not read is disconnected
 * (EventSource reconnects) rather than allowed to grow the server's memory.
 *
 * Replay: event ids grow monotonically (they start at the boot time in µs, so they also grow
 * across a restart), and the last `replaySize` events are kept. A client that reconnects with
 * `Last-Event-ID` (header, or `?lastEventId=`) gets the events it missed; when they are no longer
 * all in the buffer (or the id is not from this server's run) it gets one `reset` event instead,
 * telling it to reload what it shows.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AnomalyLedger, LedgerEvent } from '../../anomalies/ledger.js'
import { flattenNode } from '../../lwm2m/codec/index.js'
import { FORMAT_NAMES } from '../../lwm2m/content-format.js'
import { parsePath } from '../../lwm2m/path.js'
import type { DeregistrationReason, Registration } from '../../lwm2m/server/index.js'
import { registrationJson, type RoleGuard } from './clients.js'
import type { LwM2mServerPort, NotificationEvent, QueuedResultEvent, SendEvent } from '../port.js'
import { notificationValues } from '../values/feed.js'

export interface EventRoutesDeps {
  daemon: LwM2mServerPort
  ledger?: AnomalyLedger
  requireRole: RoleGuard
  /** Comment line sent this often so proxies keep the stream open; default 15 s. */
  heartbeatMs?: number
  /** Events queued per client while its socket is full before it is disconnected; default 1,000. */
  bufferSize?: number
  /** Recent events kept for Last-Event-ID replay; default 1,000. */
  replaySize?: number
}

/** One event of the stream. */
export interface ApiEvent {
  type:
    | 'registration'
    | 'update'
    | 'deregistration'
    | 'notification'
    | 'send'
    | 'queued-result'
    | 'anomaly'
    | 'anomaly-included'
    | 'anomaly-anchored'
    | 'anomaly-unanchored'
    | 'anomaly-quarantined'
    | 'anomaly-confirmations'
  endpoint?: string
  data: Record<string, unknown>
}

/** Stream statistics (for /api/metrics). */
export interface EventStreams {
  clients(): number
  dropped(): number
  /** Reconnects served from the replay buffer / answered with `reset`. */
  replays(): { resumed: number; reset: number }
  /** Ends every open stream (clients reconnect with Last-Event-ID); for tests and operators. */
  disconnectAll(): void
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
  const replaySize = Math.max(1, deps.replaySize ?? 1_000)
  // Ids of this run start above any id of an earlier run (boot time in µs; 2^53 is ~285 years away).
  const firstId = Date.now() * 1000
  let seq = firstId
  let dropped = 0
  const replays = { resumed: 0, reset: 0 }
  /** The last replaySize events (a ring): id, endpoint (for the filter) and the encoded chunk. */
  const recent: Array<{ id: number; endpoint?: string; chunk: string }> = []
  let recentStart = 0

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
  const wants = (c: Pick<SseClient, 'endpoints'>, endpoint: string | undefined): boolean => !c.endpoints || (endpoint !== undefined && c.endpoints.has(endpoint))
  const broadcast = (e: ApiEvent): void => {
    const id = ++seq
    const chunk = `id: ${id}\nevent: ${e.type}\ndata: ${JSON.stringify({ type: e.type, ...(e.endpoint !== undefined && { endpoint: e.endpoint }), ...e.data })}\n\n`
    const entry = { id, chunk, ...(e.endpoint !== undefined && { endpoint: e.endpoint }) }
    if (recent.length < replaySize) recent.push(entry)
    else {
      recent[recentStart] = entry
      recentStart = (recentStart + 1) % replaySize
    }
    for (const c of clients) if (wants(c, e.endpoint)) write(c, chunk)
  }
  /** The buffered events after `lastId`, oldest first; undefined when some of them are gone (or lastId is not ours). */
  const missedSince = (lastId: number): Array<{ id: number; endpoint?: string; chunk: string }> | undefined => {
    if (!Number.isSafeInteger(lastId) || lastId < firstId || lastId > seq) return undefined
    const ordered = [...recent.slice(recentStart), ...recent.slice(0, recentStart)]
    const oldest = ordered[0]?.id ?? seq + 1
    if (lastId < oldest - 1) return undefined
    return ordered.filter((x) => x.id > lastId)
  }

  const onRegistered = (reg: Registration) => broadcast({ type: 'registration', endpoint: reg.endpoint, data: { registration: registrationJson(reg, deps.daemon.queueStatus(reg.endpoint)) } })
  const onUpdated = (reg: Registration) => broadcast({ type: 'update', endpoint: reg.endpoint, data: { registration: registrationJson(reg, deps.daemon.queueStatus(reg.endpoint)) } })
  const onDeregistered = (reg: Registration, reason: DeregistrationReason) =>
    broadcast({ type: 'deregistration', endpoint: reg.endpoint, data: { registrationId: reg.id, reason } })
  const onNotification = (n: NotificationEvent) => {
    // Observe-Composite: the values of all observed paths, the paths, and SenML times if given.
    const values = notificationValues(n)
    broadcast({
      type: 'notification',
      endpoint: n.endpoint,
      data: {
        path: n.path,
        ...(n.paths && { paths: n.paths }),
        ...(n.response.times && { times: n.response.times }),
        code: n.response.coapCode,
        ...(n.response.format !== undefined && { format: NAME_BY_FORMAT.get(n.response.format) ?? String(n.response.format) }),
        values,
        ...(n.response.errorMessage !== undefined && { error: n.response.errorMessage }),
      },
    })
  }
  // LwM2M Send (the daemon's 'send' event, also fed to the latest values by src/api/values/feed.ts):
  // `values` as the device sent them, [{path, value, time?}] with time in epoch seconds.
  const onSend = (e: SendEvent) => broadcast({ type: 'send', endpoint: e.endpoint, data: { values: e.values } })
  const onQueuedResult = (e: QueuedResultEvent) => {
    let values: Record<string, unknown> | undefined
    try {
      if (e.response?.node && e.path) values = flattenNode(e.response.node, parsePath(e.path))
      // A queued Read- or Observe-Composite: the values of all its paths.
      else if (e.response?.composite) values = notificationValues({ endpoint: e.endpoint, path: e.path ?? '', composite: e.response.composite })
    } catch {
      values = undefined
    }
    broadcast({
      type: 'queued-result',
      endpoint: e.endpoint,
      data: {
        requestId: e.requestId,
        ...(e.path !== undefined && { path: e.path }),
        ...(e.response && { code: e.response.coapCode, success: e.response.success }),
        ...(values && { values }),
        ...(e.response?.errorMessage !== undefined && { message: e.response.errorMessage }),
        ...(e.error && { error: e.error.code, message: e.error.message }),
      },
    })
  }
  const onLedger = (e: LedgerEvent) => {
    if (e.type === 'accepted') broadcast({ type: 'anomaly', endpoint: e.item.endpoint, data: { anomaly: e.item as unknown as Record<string, unknown> } })
    // quarantined: can never fit a transaction (the reason says why); it stays stored, never anchored.
    else if (e.type === 'quarantined') broadcast({ type: 'anomaly-quarantined', data: { ids: e.ids, reason: e.reason } })
    // confirmations: the highest final block moved (N-confirmation finality): an included record in block B has B − finalBlock to go.
    else if (e.type === 'confirmations') broadcast({ type: 'anomaly-confirmations', data: { finalBlock: e.finalBlock } })
    // included: mined, not final (with the blocks to go, when known); anchored: final; unanchored: a reorganisation removed it before it was final.
    else {
      const toGo = e.type === 'included' && e.confirmationsToGo !== undefined ? { confirmationsToGo: e.confirmationsToGo } : {}
      broadcast({ type: `anomaly-${e.type}`, data: { ids: e.ids, batchId: e.batchId, txHash: e.txHash, block: e.block, ...toGo } })
    }
  }
  deps.daemon.events.on('registered', onRegistered)
  deps.daemon.events.on('updated', onUpdated)
  deps.daemon.events.on('deregistered', onDeregistered)
  deps.daemon.events.on('notification', onNotification)
  deps.daemon.events.on('send', onSend)
  deps.daemon.events.on('queued-result', onQueuedResult)
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
    deps.daemon.events.off('send', onSend)
    deps.daemon.events.off('queued-result', onQueuedResult)
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
        summary: 'Server-Sent Events: registration, update, deregistration, notification, send, queued-result, anomaly, anomaly-included, anomaly-anchored, anomaly-unanchored, anomaly-quarantined, anomaly-confirmations; Last-Event-ID resumes, `reset` says the gap was too long',
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: {
            endpoint: { type: 'string', description: 'only events of these endpoints (comma-separated)' },
            token: { type: 'string', description: 'the bearer token, for EventSource which cannot set headers' },
            lastEventId: { type: 'string', description: 'resume after this event id (as the Last-Event-ID header does)' },
          },
        },
        response: { 200: { description: 'text/event-stream', type: 'string' } },
      },
    },
    async (req, reply) => {
      const q = req.query as { endpoint?: string; lastEventId?: string }
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
      raw.write(`retry: 2000\n: connected\n\n`)
      const header = req.headers['last-event-id']
      const last = (Array.isArray(header) ? header[0] : header) ?? q.lastEventId
      if (last !== undefined && last.trim() !== '') {
        const missed = /^\d{1,16}$/.test(last.trim()) ? missedSince(Number(last.trim())) : undefined
        if (missed) {
          replays.resumed++
          for (const m of missed) if (wants(c, m.endpoint)) write(c, m.chunk)
        } else {
          replays.reset++
          // Its id keeps the client's next reconnect from asking for the same lost range again.
          write(c, `id: ${seq}\nevent: reset\ndata: ${JSON.stringify({ type: 'reset', reason: 'missed events are no longer buffered; reload' })}\n\n`)
        }
      }
      // Added after the replay, so no live event overtakes a missed one (all of this runs in one tick).
      clients.add(c)
    },
  )

  return {
    clients: () => clients.size,
    dropped: () => dropped,
    replays: () => ({ ...replays }),
    disconnectAll: () => {
      for (const c of [...clients]) close(c)
    },
  }
}
