/**
 * POST /api/clients/{endpoint}/composite/observe: Observe-Composite (LwM2M 1.1 TS Core §6.4.3),
 * a FETCH / with Observe 0 naming `{paths: [...]}` in SenML. It answers the current values of all
 * paths and an observation id; each notification (the values of all paths, whichever changed) is
 * published on GET /api/events as `event: notification` with `paths`, and fed to the latest
 * values. DELETE .../composite/observe/{id} cancels it (FETCH with Observe 1 and the same paths).
 * The paths are checked as Read-Composite checks them (at most 100, none twice, not the root).
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { FORMAT_NAMES } from '../../lwm2m/content-format.js'
import { formatPath } from '../../lwm2m/path.js'
import type { LwM2mObservation } from '../../lwm2m/request/sender.js'
import type { Registration } from '../../lwm2m/server/index.js'
import { MAX_COMPOSITE_PATHS } from '../../lwm2m/request/translate.js'
import { HttpError, throwIfFailed } from '../errors.js'
import type { LwM2mServerPort } from '../port.js'
import type { LatestValues } from '../values/latestValues.js'
import type { RoleGuard } from './clients.js'
import { compositeErrorResponses, errorSchema, flattenComposite, logCompositeRefusal, parseCompositePaths } from './composite.js'

export interface CompositeObserveRoutesDeps {
  daemon: LwM2mServerPort
  requireRole: RoleGuard
  /** The first values are recorded here (notifications reach it through the daemon's events). */
  values: LatestValues
}

/** The composite observations started through the API (cancelled when the API closes). */
export interface CompositeObservations {
  size(): number
  cancelAll(): Promise<void>
}

interface Held {
  endpoint: string
  paths: string[]
  obs: LwM2mObservation
}

const NAME_BY_FORMAT = new Map<number, string>(Object.entries(FORMAT_NAMES).map(([k, v]) => [v, k]))
const endpointParam = { type: 'string', minLength: 1, maxLength: 255 }

/** Registers the Observe-Composite routes; returns the observations they hold. */
export function registerCompositeObserveRoutes(app: FastifyInstance, deps: CompositeObserveRoutesDeps): CompositeObservations {
  const { daemon } = deps
  const held = new Map<string, Held>()
  const onDeregistered = (reg: Registration) => {
    // The daemon forgets a de-registered device's relations; so do we.
    for (const [id, h] of [...held]) if (h.endpoint === reg.endpoint) held.delete(id)
  }
  daemon.events.on('deregistered', onDeregistered)
  app.addHook('onClose', async () => {
    daemon.events.off('deregistered', onDeregistered)
  })

  app.post<{ Params: { endpoint: string }; Body: { paths: string[]; format?: 'senml-json' | 'senml-cbor' } }>(
    '/api/clients/:endpoint/composite/observe',
    {
      preHandler: deps.requireRole('admin', 'application'),
      onError: logCompositeRefusal,
      schema: {
        tags: ['devices'],
        summary: 'Observe-Composite: the values of all paths now, notifications (paths, values) on GET /api/events (LwM2M 1.1)',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', properties: { endpoint: endpointParam }, required: ['endpoint'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['paths'],
          properties: {
            // One more than allowed, so that the count gets our own clear message.
            paths: { type: 'array', items: { type: 'string', maxLength: 64 }, minItems: 1, maxItems: MAX_COMPOSITE_PATHS + 1 },
            format: { type: 'string', enum: ['senml-json', 'senml-cbor'] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              endpoint: { type: 'string' },
              observationId: { type: 'string', description: 'cancel with DELETE .../composite/observe/{observationId}; absent when the device did not accept' },
              active: { type: 'boolean', description: 'whether the device accepted the observation (notifications will come)' },
              paths: { type: 'array', items: { type: 'string' } },
              code: { type: 'string' },
              format: { type: 'string' },
              values: { type: 'object', additionalProperties: true },
              times: { type: 'object', additionalProperties: { type: 'number' }, description: 'SenML time (s) per path, when the device gave one' },
            },
          },
          ...compositeErrorResponses,
        },
      },
    },
    async (req) => {
      const { endpoint } = req.params
      const paths = parseCompositePaths(req.body.paths)
      if (!daemon.registrations.byEndpoint(endpoint)) throw new HttpError(404, 'not_found', `client "${endpoint}" is not registered`)
      const format = req.body.format === undefined ? {} : { format: FORMAT_NAMES[req.body.format] }
      const obs = await daemon.observe(endpoint, { kind: 'observeComposite', paths, ...format })
      throwIfFailed(obs.response, `observe-composite of ${paths.length} paths`)
      const values = flattenComposite(obs.response.composite)
      deps.values.record(endpoint, values, 'read')
      const texts = paths.map(formatPath)
      let observationId: string | undefined
      if (obs.active) {
        observationId = randomUUID()
        held.set(observationId, { endpoint, paths: texts, obs })
      }
      const res = obs.response
      return {
        endpoint,
        ...(observationId !== undefined && { observationId }),
        active: obs.active,
        paths: texts,
        code: res.coapCode,
        ...(res.format !== undefined && { format: NAME_BY_FORMAT.get(res.format) ?? String(res.format) }),
        values,
        ...(res.times && { times: res.times }),
      }
    },
  )

  app.delete<{ Params: { endpoint: string; id: string } }>(
    '/api/clients/:endpoint/composite/observe/:id',
    {
      preHandler: deps.requireRole('admin', 'application'),
      schema: {
        tags: ['devices'],
        summary: 'Cancel an Observe-Composite started through the API (FETCH with Observe 1 and the same paths)',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', properties: { endpoint: endpointParam, id: { type: 'string', maxLength: 64 } }, required: ['endpoint', 'id'] },
        response: {
          200: { type: 'object', properties: { endpoint: { type: 'string' }, observationId: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } }, cancelled: { type: 'boolean' } } },
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (req) => {
      const { endpoint, id } = req.params
      const h = held.get(id)
      if (!h || h.endpoint !== endpoint) throw new HttpError(404, 'not_found', `no composite observation "${id}" on "${endpoint}"`)
      held.delete(id)
      await h.obs.cancel()
      return { endpoint, observationId: id, paths: h.paths, cancelled: true }
    },
  )

  return {
    size: () => held.size,
    async cancelAll() {
      const all = [...held.values()]
      held.clear()
      await Promise.allSettled(all.map((h) => h.obs.cancel()))
    },
  }
}
