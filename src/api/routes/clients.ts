/**
 * Device operations over HTTP: list registered (and provisioned) devices, and Read / Write /
 * Execute / Create / Delete / Discover / Observe / Write-Attributes on one device through the
 * server daemon's request layer. Values travel as flat JSON (`{"/3303/0/5700": 21.5}`), the same
 * form as `lwchain decode --json`; the content format asked of the device is negotiated with
 * `?format=` or `Accept`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler, RouteShorthandOptions } from 'fastify'
import type { ClientView } from '../../chain/view/types.js'
import { FORMAT_NAMES, type FormatName } from '../../lwm2m/content-format.js'
import { codecFor, flattenNode, unflatten } from '../../lwm2m/codec/index.js'
import { formatLinks, type NotificationAttributes } from '../../lwm2m/link.js'
import type { ModelRegistry } from '../../lwm2m/model.js'
import { formatPath, pathLevel, toPath, type LwM2mPath } from '../../lwm2m/path.js'
import type { LwM2mObservation } from '../../lwm2m/request/sender.js'
import type { LwM2mRequest, LwM2mResponse } from '../../lwm2m/request/types.js'
import type { Registration } from '../../lwm2m/server/index.js'
import { HttpError, throwIfFailed } from '../errors.js'
import { pageOf, pageQuerySchema, pageSchema, type PageQuery } from '../paging.js'
import type { LatestValues } from '../values/latestValues.js'
import type { LwM2mServerPort, QueueStatus } from '../port.js'
import { errorSchema } from '../auth/schemas.js'
import { errorSchema as queuedSchema } from './composite.js'

/** A preHandler that admits the given roles (requireRole of plugin-auth.ts). */
export type RoleGuard = (...roles: Array<'admin' | 'user' | 'application'>) => preHandlerHookHandler

export interface ClientRoutesDeps {
  daemon: LwM2mServerPort
  models: ModelRegistry
  requireRole: RoleGuard
  /** Provisioned clients (the ChainView), listed as `provisioned` when not registered. */
  provisioned?: () => ClientView[]
  /** Per-request timeout towards the device; default the daemon's CoAP timers. */
  requestTimeoutMs?: number
  /** The latest values seen per device: Reads made here are recorded, GET .../values answers from it. */
  values: LatestValues
}

/** Observations started through the API, by endpoint and path (cancelled with DELETE .../observe). */
export interface ApiObservations {
  get(endpoint: string, path: string): LwM2mObservation | undefined
  /** Takes an observation started elsewhere (auto-observe), as if POST .../observe had started it; records its first value. */
  adopt(endpoint: string, path: LwM2mPath, obs: LwM2mObservation): void
  size(): number
  cancelAll(): Promise<void>
}

const FORMAT_BY_MIME: Record<string, number> = {
  'text/plain': FORMAT_NAMES.text,
  'application/octet-stream': FORMAT_NAMES.opaque,
  'application/senml+json': FORMAT_NAMES['senml-json'],
  'application/senml+cbor': FORMAT_NAMES['senml-cbor'],
  'application/vnd.oma.lwm2m+tlv': FORMAT_NAMES.tlv,
  'application/vnd.oma.lwm2m+json': FORMAT_NAMES['lwm2m-json'],
}
const NAME_BY_FORMAT = new Map<number, string>(Object.entries(FORMAT_NAMES).map(([k, v]) => [v, k]))
const NODE_FORMATS = ['tlv', 'senml-json', 'senml-cbor', 'lwm2m-json', 'text', 'opaque'] as const

const ID = { type: 'integer', minimum: 0, maximum: 65534 } as const
const PARAM_NAMES = ['objectId', 'instanceId', 'resourceId', 'resourceInstanceId'] as const
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 504: errorSchema }
/**
 * What a request to a queue-mode device may answer besides: 202 `{requestId}` when it still sleeps
 * after --queue-timeout-ms (the result comes as `queued-result` on /api/events), 503 when its
 * queue is full.
 */
const queueAnswers = { 202: queuedSchema, 503: errorSchema }
const security = [{ bearerAuth: [] }]
const valuesSchema = {
  type: 'object',
  description: 'full resource paths to values, e.g. {"/3303/0/5700": 21.5}',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
}
const contentSchema = {
  type: 'object',
  properties: {
    endpoint: { type: 'string' },
    path: { type: 'string' },
    code: { type: 'string', description: 'the LwM2M (CoAP) code the device answered' },
    format: { type: 'string' },
    values: valuesSchema,
  },
}
const formatQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: [...NODE_FORMATS] } },
}

/** `/api/clients/:endpoint/:objectId[/:instanceId[/:resourceId[/:resourceInstanceId]]]` + suffix, for depth 1..4. */
function templates(suffix: string, depths: readonly number[]): Array<{ url: string; params: object }> {
  return depths.map((depth) => {
    const names = PARAM_NAMES.slice(0, depth)
    const properties: Record<string, object> = { endpoint: { type: 'string', minLength: 1, maxLength: 255 } }
    for (const n of names) properties[n] = ID
    return {
      url: `/api/clients/:endpoint/${names.map((n) => `:${n}`).join('/')}${suffix}`,
      params: { type: 'object', properties, required: ['endpoint', ...names] },
    }
  })
}

type Params = { endpoint: string; objectId: number; instanceId?: number; resourceId?: number; resourceInstanceId?: number }

function pathOf(p: Params): LwM2mPath {
  const ids = [p.objectId, p.instanceId, p.resourceId, p.resourceInstanceId].filter((x): x is number => x !== undefined)
  return toPath(ids)
}

/** The content format to ask for: `?format=name` first, else the first LwM2M media type of Accept, else the sender's choice. */
export function negotiateFormat(query: { format?: string }, accept: string | undefined): number | undefined {
  if (query.format !== undefined) {
    const f = (FORMAT_NAMES as Record<string, number>)[query.format]
    if (f === undefined || query.format === 'link') throw new HttpError(400, 'bad_request', `unknown format "${query.format}"`)
    return f
  }
  for (const part of (accept ?? '').split(',')) {
    const mime = part.split(';')[0]!.trim().toLowerCase()
    if (mime in FORMAT_BY_MIME) return FORMAT_BY_MIME[mime]
  }
  return undefined
}

/** The LwM2M media type an Accept header asks for first (the answer is then that format's bytes), if any. */
export function acceptedMedia(accept: string | undefined): { mime: string; format: number } | undefined {
  for (const part of (accept ?? '').split(',')) {
    const mime = part.split(';')[0]!.trim().toLowerCase()
    if (mime in FORMAT_BY_MIME) return { mime, format: FORMAT_BY_MIME[mime]! }
  }
  return undefined
}

/** A registration as the API lists it. */
export function registrationJson(reg: Registration, queue?: QueueStatus): Record<string, unknown> {
  return {
    endpoint: reg.endpoint,
    status: 'registered',
    registrationId: reg.id,
    registeredAt: new Date(reg.registeredAt).toISOString(),
    lastUpdate: new Date(reg.lastUpdate).toISOString(),
    expiresAt: new Date(reg.expiresAt).toISOString(),
    lifetime: reg.lifetime,
    lwm2mVersion: reg.lwm2mVersion,
    binding: reg.binding,
    ...(reg.queueMode !== undefined && { queueMode: reg.queueMode }),
    // Queue mode: whether it listens now and how many requests wait for it.
    ...(queue && { queueMode: queue.queueMode, awake: queue.awake, queued: queue.queued }),
    objectLinks: reg.objectLinks.map((o) => (o.instanceId === undefined ? `/${o.objectId}` : `/${o.objectId}/${o.instanceId}`)),
  }
}

const latestValueSchema = {
  type: 'object',
  properties: {
    value: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
    time: { type: 'string', description: 'when the server saw it (ISO 8601)' },
    source: { type: 'string', enum: ['read', 'notification', 'send'] },
  },
}
const latestValuesSchema = { type: 'object', description: 'latest value per resource path', additionalProperties: latestValueSchema }

const clientItem = {
  type: 'object',
  properties: {
    endpoint: { type: 'string' },
    status: { type: 'string', enum: ['registered', 'provisioned'] },
    registrationId: { type: 'string' },
    registeredAt: { type: 'string' },
    lastUpdate: { type: 'string' },
    expiresAt: { type: 'string' },
    lifetime: { type: 'integer' },
    lwm2mVersion: { type: 'string' },
    binding: { type: 'string' },
    queueMode: { type: 'boolean' },
    awake: { type: 'boolean' },
    queued: { type: 'integer' },
    objectLinks: { type: 'array', items: { type: 'string' } },
    values: latestValuesSchema,
  },
}

/** Registers the /api/clients routes; returns the API's observations (cancelled on close). */
export function registerClientRoutes(app: FastifyInstance, deps: ClientRoutesDeps): ApiObservations {
  const { daemon, models } = deps
  const operate = deps.requireRole('admin', 'application')
  const anyRole = deps.requireRole('admin', 'application', 'user')
  const observations = new Map<string, LwM2mObservation>()
  const obsKey = (endpoint: string, path: string) => `${endpoint} ${path}`
  const onDeregistered = (reg: Registration) => {
    for (const key of [...observations.keys()]) if (key.startsWith(`${reg.endpoint} `)) observations.delete(key)
  }
  daemon.events.on('deregistered', onDeregistered)
  app.addHook('onClose', async () => {
    daemon.events.off('deregistered', onDeregistered)
  })

  const send = async (endpoint: string, request: LwM2mRequest, what: string): Promise<LwM2mResponse> => {
    const res = await daemon.send(endpoint, request, deps.requestTimeoutMs !== undefined ? { timeoutMs: deps.requestTimeoutMs } : undefined)
    throwIfFailed(res, what)
    return res
  }
  const registered = (endpoint: string): void => {
    if (!daemon.registrations.byEndpoint(endpoint)) throw new HttpError(404, 'not_found', `client "${endpoint}" is not registered`)
  }
  const valuesJson = (endpoint: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [path, v] of Object.entries(deps.values.latest(endpoint))) out[path] = { value: v.value, time: new Date(v.time).toISOString(), source: v.source }
    return out
  }
  /** Records the values of a successful read-like answer in the latest-values store. */
  const seen = (endpoint: string, path: LwM2mPath, res: LwM2mResponse): void => {
    if (res.success && res.node) deps.values.record(endpoint, flattenNode(res.node, path), 'read')
  }
  const content = (endpoint: string, path: LwM2mPath, res: LwM2mResponse) => ({
    endpoint,
    path: formatPath(path),
    code: res.coapCode,
    ...(res.format !== undefined && { format: NAME_BY_FORMAT.get(res.format) ?? String(res.format) }),
    values: res.node ? flattenNode(res.node, path) : {},
  })
  const route = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    suffix: string,
    depths: readonly number[],
    schema: Record<string, unknown>,
    handler: (req: FastifyRequest, p: Params, path: LwM2mPath, reply: FastifyReply) => Promise<unknown>,
    extra: RouteShorthandOptions = {},
    viaQueue = true,
  ) => {
    for (const t of templates(suffix, depths)) {
      app.route({
        method,
        url: t.url,
        preHandler: operate,
        ...extra,
        schema: { tags: ['devices'], security, params: t.params, ...schema, response: { ...errors, ...(viaQueue && queueAnswers), ...(schema.response as object) } },
        handler: async (req, reply) => {
          const p = req.params as Params
          const path = pathOf(p)
          registered(p.endpoint)
          const out = await handler(req, p, path, reply)
          if (method === 'POST' && (out as { location?: string }).location !== undefined) reply.code(201)
          return out
        },
      })
    }
  }

  app.get(
    '/api/clients',
    {
      preHandler: anyRole,
      schema: {
        tags: ['devices'],
        summary: 'registered devices, then provisioned ones that are not registered',
        security,
        querystring: {
          type: 'object',
          properties: { ...pageQuerySchema, status: { type: 'string', enum: ['registered', 'provisioned'], description: 'only devices in this state' } },
        },
        response: { 200: pageSchema(clientItem), 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => {
      const q = req.query as PageQuery & { status?: 'registered' | 'provisioned' }
      type Row = { endpoint: string; registered: boolean }
      const rows: Row[] = []
      if (q.status !== 'provisioned') for (const r of daemon.registrations.all()) rows.push({ endpoint: r.endpoint, registered: true })
      if (q.status !== 'registered') {
        for (const c of deps.provisioned?.() ?? []) if (!daemon.registrations.byEndpoint(c.endpoint)) rows.push({ endpoint: c.endpoint, registered: false })
      }
      // Registered devices first, then provisioned ones, each by endpoint; only the page is serialized.
      const page = pageOf(rows, q, (r) => `${r.registered ? 0 : 1}${r.endpoint}`, (r) => r.endpoint)
      const items = page.items.map((r) => {
        const reg = r.registered ? daemon.registrations.byEndpoint(r.endpoint) : undefined
        return reg ? { ...registrationJson(reg, daemon.queueStatus(reg.endpoint)), values: valuesJson(r.endpoint) } : { endpoint: r.endpoint, status: 'provisioned' }
      })
      return { ...page, items }
    },
  )

  app.get(
    '/api/clients/:endpoint',
    {
      preHandler: anyRole,
      schema: {
        tags: ['devices'],
        summary: 'the registration of one device',
        security,
        params: { type: 'object', properties: { endpoint: { type: 'string' } }, required: ['endpoint'] },
        response: { 200: clientItem, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const { endpoint } = req.params as { endpoint: string }
      const reg = daemon.registrations.byEndpoint(endpoint)
      if (!reg) throw new HttpError(404, 'not_found', `client "${endpoint}" is not registered`)
      return { ...registrationJson(reg, daemon.queueStatus(reg.endpoint)), values: valuesJson(endpoint) }
    },
  )

  app.get(
    '/api/clients/:endpoint/values',
    {
      preHandler: anyRole,
      schema: {
        tags: ['devices'],
        summary: 'the latest value of every resource seen (reads, notifications, Send), with the recent numeric values of each',
        security,
        params: { type: 'object', properties: { endpoint: { type: 'string' } }, required: ['endpoint'] },
        response: {
          200: {
            type: 'object',
            properties: {
              endpoint: { type: 'string' },
              values: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    ...latestValueSchema.properties,
                    history: { type: 'array', items: { type: 'object', properties: { time: { type: 'string' }, value: { type: 'number' } } } },
                  },
                },
              },
            },
          },
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (req) => {
      const { endpoint } = req.params as { endpoint: string }
      if (!daemon.registrations.byEndpoint(endpoint)) throw new HttpError(404, 'not_found', `client "${endpoint}" is not registered`)
      const values: Record<string, unknown> = {}
      for (const [path, v] of Object.entries(deps.values.latest(endpoint))) {
        values[path] = {
          value: v.value,
          time: new Date(v.time).toISOString(),
          source: v.source,
          history: deps.values.history(endpoint, path).map((s) => ({ time: new Date(s.time).toISOString(), value: s.value })),
        }
      }
      return { endpoint, values }
    },
  )

  route(
    'GET',
    '',
    [1, 2, 3, 4],
    {
      summary: 'Read: flat JSON (format asked of the device: ?format=), or the bytes of an LwM2M media type named in Accept',
      querystring: formatQuery,
      response: { 200: contentSchema },
    },
    async (req, p, path, reply) => {
      const query = req.query as { format?: string }
      const format = negotiateFormat(query, req.headers.accept)
      const res = await send(p.endpoint, { kind: 'read', path, ...(format !== undefined && { format }) }, `read ${formatPath(path)}`)
      seen(p.endpoint, path, res)
      const media = query.format === undefined ? acceptedMedia(req.headers.accept) : undefined
      if (media && res.node) {
        // The device's answer re-encoded as asked (it answered in `format` already unless it chose another).
        reply.type(media.mime)
        return Buffer.from(codecFor(media.format).encode(res.node, path, models))
      }
      return content(p.endpoint, path, res)
    },
  )

  route(
    'PUT',
    '',
    [2, 3, 4],
    {
      summary: 'Write: body is path → value (flat JSON); mode replace (default) or update',
      querystring: { type: 'object', properties: { format: formatQuery.properties.format, mode: { type: 'string', enum: ['replace', 'update'] } } },
      body: valuesSchema,
      response: { 200: contentSchema },
    },
    async (req, p, path) => {
      const q = req.query as { format?: string; mode?: 'replace' | 'update' }
      const format = negotiateFormat(q, undefined)
      const node = unflatten(req.body as Record<string, unknown>, path, models)
      const mode = q.mode ?? 'replace'
      const res = await send(p.endpoint, { kind: 'write', path, mode, node, ...(format !== undefined && { format }) }, `write ${formatPath(path)}`)
      return content(p.endpoint, path, res)
    },
  )

  route(
    'POST',
    '',
    [1, 3],
    {
      summary: 'Execute on a resource (body: arguments as text) or Create on an object (body: path → value of the new instance)',
      querystring: formatQuery,
      response: { 200: contentSchema, 201: { type: 'object', properties: { endpoint: { type: 'string' }, path: { type: 'string' }, code: { type: 'string' }, location: { type: 'string' } } } },
    },
    async (req, p, path) => {
      if (pathLevel(path) === 'resource') {
        const body = req.body
        if (body !== undefined && body !== null && typeof body !== 'string') throw new HttpError(400, 'bad_request', 'Execute takes its arguments as a text/plain body')
        const args = typeof body === 'string' && body.length > 0 ? body : undefined
        const res = await send(p.endpoint, { kind: 'execute', path, ...(args !== undefined && { args }) }, `execute ${formatPath(path)}`)
        return content(p.endpoint, path, res)
      }
      const body = req.body
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'Create takes a JSON object of path → value')
      const format = negotiateFormat(req.query as { format?: string }, undefined)
      const node = unflatten(body as Record<string, unknown>, path, models)
      const request: LwM2mRequest =
        node.kind === 'object' && node.instances.size === 1
          ? { kind: 'create', path, node: [...node.instances.values()][0]!, ...(format !== undefined && { format }) }
          : { kind: 'create', path, node, ...(format !== undefined && { format }) }
      const res = await send(p.endpoint, request, `create ${formatPath(path)}`)
      return { endpoint: p.endpoint, path: formatPath(path), code: res.coapCode, location: res.location ?? '' }
    },
  )

  route('DELETE', '', [1, 2, 3, 4], { summary: 'Delete', response: { 200: contentSchema } }, async (_req, p, path) => {
    const res = await send(p.endpoint, { kind: 'delete', path }, `delete ${formatPath(path)}`)
    return content(p.endpoint, path, res)
  })

  route(
    'GET',
    '/discover',
    [1, 2, 3],
    {
      summary: 'Discover',
      response: {
        200: {
          type: 'object',
          properties: {
            endpoint: { type: 'string' },
            path: { type: 'string' },
            code: { type: 'string' },
            linkFormat: { type: 'string' },
            links: { type: 'array', items: { type: 'object', properties: { target: { type: 'string' }, attributes: { type: 'object', additionalProperties: true } } } },
          },
        },
      },
    },
    async (_req, p, path) => {
      const res = await send(p.endpoint, { kind: 'discover', path }, `discover ${formatPath(path)}`)
      const links = res.links ?? []
      return { endpoint: p.endpoint, path: formatPath(path), code: res.coapCode, linkFormat: formatLinks(links), links: links.map((l) => ({ target: l.target, attributes: { ...l.attributes } })) }
    },
  )

  route(
    'POST',
    '/observe',
    [1, 2, 3, 4],
    {
      summary: 'Observe: the current value now, notifications on GET /api/events',
      querystring: formatQuery,
      response: { 200: { ...contentSchema, properties: { ...contentSchema.properties, active: { type: 'boolean' } } } },
    },
    async (req, p, path) => {
      const format = negotiateFormat(req.query as { format?: string }, req.headers.accept)
      const key = obsKey(p.endpoint, formatPath(path))
      const previous = observations.get(key)
      const obs = await daemon.observe(p.endpoint, { kind: 'observe', path, ...(format !== undefined && { format }) })
      throwIfFailed(obs.response, `observe ${formatPath(path)}`)
      seen(p.endpoint, path, obs.response)
      if (obs.active) {
        observations.set(key, obs)
        // A second observe of the same path replaces the first (the device keeps one relation per token).
        if (previous && previous !== obs) void previous.cancel().catch(() => {})
      }
      return { ...content(p.endpoint, path, obs.response), active: obs.active }
    },
  )

  route(
    'DELETE',
    '/observe',
    [1, 2, 3, 4],
    { summary: 'Cancel an observation started through the API', response: { 200: { type: 'object', properties: { endpoint: { type: 'string' }, path: { type: 'string' }, cancelled: { type: 'boolean' } } } } },
    async (_req, p, path) => {
      const key = obsKey(p.endpoint, formatPath(path))
      const obs = observations.get(key)
      if (!obs) throw new HttpError(404, 'not_found', `no observation of ${formatPath(path)} on "${p.endpoint}"`)
      observations.delete(key)
      await obs.cancel()
      return { endpoint: p.endpoint, path: formatPath(path), cancelled: true }
    },    {},
    // The proactive cancel goes straight out (not through the device's queue): no 202, no 503.
    false,
  )

  const attr = { type: ['number', 'null'] }
  route(
    'PUT',
    '/attributes',
    [1, 2, 3, 4],
    {
      summary: 'Write-Attributes: numbers set, null removes',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { pmin: attr, pmax: attr, gt: attr, lt: attr, st: attr, epmin: attr, epmax: attr },
      },
      response: { 200: contentSchema },
    },
    async (req, p, path) => {
      const attributes = req.body as NotificationAttributes
      const res = await send(p.endpoint, { kind: 'writeAttributes', path, attributes }, `write attributes of ${formatPath(path)}`)
      return content(p.endpoint, path, res)
    },
  )

  return {
    get: (endpoint, path) => observations.get(obsKey(endpoint, path)),
    adopt(endpoint, path, obs) {
      const key = obsKey(endpoint, formatPath(path))
      const previous = observations.get(key)
      // A device that de-registered meanwhile: its observation is already gone on the daemon's side.
      if (!daemon.registrations.byEndpoint(endpoint)) {
        void obs.cancel().catch(() => {})
        return
      }
      observations.set(key, obs)
      if (previous && previous !== obs) void previous.cancel().catch(() => {})
      seen(endpoint, path, obs.response)
    },
    size: () => observations.size,
    async cancelAll() {
      const all = [...observations.values()]
      observations.clear()
      await Promise.allSettled(all.map((o) => o.cancel()))
    },
  }
}
