/**
 * GET /api/models?ids=3,3303: the object models the server knows (names, resource types, units,
 * operations), so the console can show a device's object tree the way the Leshan demo UI does.
 */
import type { FastifyInstance } from 'fastify'
import type { ModelRegistry, ObjectModel } from '../../lwm2m/model.js'
import { HttpError } from '../errors.js'
import type { RoleGuard } from './clients.js'
import { errorSchema } from '../auth/schemas.js'

export interface ModelRoutesDeps {
  models: ModelRegistry
  requireRole: RoleGuard
}

const resourceSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    type: { type: 'string' },
    operations: { type: 'string', enum: ['R', 'W', 'RW', 'E', 'NONE'] },
    multiple: { type: 'boolean' },
    mandatory: { type: 'boolean' },
    units: { type: 'string' },
    range: { type: 'string' },
  },
}
const objectSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    version: { type: 'string' },
    multiple: { type: 'boolean' },
    mandatory: { type: 'boolean' },
    resources: { type: 'array', items: resourceSchema },
  },
}

/** An object model as JSON. */
export function objectModelJson(o: ObjectModel): Record<string, unknown> {
  return {
    id: o.id,
    name: o.name,
    version: o.version,
    multiple: o.multiple,
    mandatory: o.mandatory,
    resources: [...o.resources.values()]
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        id: r.id,
        name: r.name,
        type: r.type,
        operations: r.operations,
        multiple: r.multiple,
        mandatory: r.mandatory,
        ...(r.units && { units: r.units }),
        ...(r.rangeEnumeration && { range: r.rangeEnumeration }),
      })),
  }
}

/** Registers GET /api/models. */
export function registerModelRoutes(app: FastifyInstance, deps: ModelRoutesDeps): void {
  app.get(
    '/api/models',
    {
      preHandler: deps.requireRole('admin', 'application', 'user'),
      schema: {
        tags: ['devices'],
        summary: 'object models (name, resources with type, unit, operations); ?ids= limits them to those objects',
        security: [{ bearerAuth: [] }],
        querystring: { type: 'object', properties: { ids: { type: 'string', pattern: '^\\d{1,5}(,\\d{1,5}){0,99}$', description: 'comma-separated object ids' } } },
        response: { 200: { type: 'object', properties: { objects: { type: 'array', items: objectSchema } } }, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => {
      const { ids } = req.query as { ids?: string }
      if (ids === undefined) return { objects: [...deps.models.objects()].sort((a, b) => a.id - b.id).map(objectModelJson) }
      const wanted = [...new Set(ids.split(',').map(Number))]
      if (wanted.some((n) => n > 65534)) throw new HttpError(400, 'bad_request', 'object ids are at most 65534')
      return { objects: wanted.flatMap((id) => deps.models.getObject(id) ?? []).map(objectModelJson) }
    },
  )
}
