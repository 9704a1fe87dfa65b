import type { FastifyInstance } from 'fastify'
import type { AnomalyLedger } from '../../anomalies/ledger.js'
import { AnomalyNotFoundError } from '../../chain/errors.js'
import { apiErrorHandler } from '../auth/httpErrors.js'
import { authErrorResponses, bearerSecurity, errorSchema } from '../auth/schemas.js'
import { requireRole } from '../plugin-auth.js'

export interface AnomalyRoutesDeps {
  ledger: Pick<AnomalyLedger, 'accept' | 'list' | 'get' | 'proof' | 'verify'>
}

const itemSchema = {
  type: 'object',
  required: ['id', 'endpoint', 'level', 'data', 'timestamp', 'collectedAt', 'status'],
  properties: {
    id: { type: 'string' },
    endpoint: { type: 'string' },
    level: { type: 'integer' },
    data: { description: 'any JSON value' },
    timestamp: { type: 'string', format: 'date-time' },
    collectedAt: { type: 'integer', description: 'seconds since the epoch' },
    status: { type: 'string', enum: ['pending', 'included', 'anchored', 'quarantined'], description: 'pending → included (mined, not final) → anchored (final); quarantined: can never fit a transaction' },
    error: { type: 'string', description: 'why a quarantined record cannot be anchored' },
    confirmationsToGo: { type: 'integer', minimum: 1, description: 'of an included record, when finality is N confirmations: blocks still to be mined over it before it is final' },
    batchId: { type: 'string' },
    txHash: { type: 'string' },
    block: { type: 'string' },
  },
} as const

const timeSchema = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'number', minimum: 0 }], description: 'ISO 8601 or seconds since the epoch' }

/** POST /api/anomalies (admin, application), GET /api/anomalies and /api/anomalies/{id} (every role). */
export function registerAnomalyRoutes(app: FastifyInstance, deps: AnomalyRoutesDeps): void {
  const { ledger } = deps

  app.post<{ Body: { endpoint: string; level: number; data: unknown; timestamp?: string | number } }>(
    '/api/anomalies',
    {
      onRequest: requireRole('admin', 'application'),
      errorHandler: apiErrorHandler,
      // Room for 8 KB of data in the envelope; the ledger enforces its exact limits.
      bodyLimit: 32 * 1024,
      schema: {
        summary: 'Record a critical event; answered once durably stored, before the chain confirms',
        tags: ['anomalies'],
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['endpoint', 'level', 'data'],
          properties: {
            endpoint: { type: 'string', minLength: 1, maxLength: 255 },
            level: { type: 'integer', minimum: 1, maximum: 255 },
            data: { description: 'any JSON value (at most 8 KB as canonical JSON)' },
            timestamp: { ...timeSchema, description: 'time of collection: ISO 8601 or seconds; default now' },
          },
        },
        response: { 202: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, ...authErrorResponses, 503: errorSchema },
      },
    },
    async (request, reply) => {
      const { endpoint, level, data, timestamp } = request.body
      const { id } = await ledger.accept({ endpoint, level, data, timestamp })
      request.log.info({ id, endpoint, level }, 'anomaly accepted')
      return reply.code(202).send({ id })
    },
  )

  app.get<{ Querystring: { endpoint?: string; from?: string; to?: string; limit?: number; cursor?: string } }>(
    '/api/anomalies',
    {
      onRequest: requireRole('admin', 'user', 'application'),
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'List anomalies in time order, filtered by endpoint and time range, with cursor pagination',
        tags: ['anomalies'],
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: {
            endpoint: { type: 'string', minLength: 1, maxLength: 255 },
            from: { type: 'string', minLength: 1, description: 'ISO 8601 or seconds (inclusive)' },
            to: { type: 'string', minLength: 1, description: 'ISO 8601 or seconds (inclusive)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            cursor: { type: 'string', minLength: 1, maxLength: 512 },
          },
        },
        response: {
          200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: itemSchema }, next: { type: 'string' } } },
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query
      // Seconds arrive as text in a query string; the ledger takes numbers for seconds.
      const time = (v: string | undefined) => (v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v)
      return ledger.list({ endpoint: q.endpoint, from: time(q.from), to: time(q.to), limit: q.limit, cursor: q.cursor })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/api/anomalies/:id',
    {
      onRequest: requireRole('admin', 'user', 'application'),
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'One anomaly with its verification against the on-chain Merkle root, and its inclusion proof',
        tags: ['anomalies'],
        security: bearerSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: {
          200: {
            type: 'object',
            required: [...itemSchema.required, 'verification'],
            properties: {
              ...itemSchema.properties,
              verification: { type: 'string', enum: ['VALID', 'INVALID', 'PENDING', 'UNKNOWN'], description: 'UNKNOWN when the check could not run' },
              proof: {
                type: 'object',
                properties: { batchId: { type: 'string' }, root: { type: 'string' }, proof: { type: 'array', items: { type: 'string' } }, index: { type: 'integer' } },
              },
            },
          },
          ...authErrorResponses,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const { id } = request.params
      const item = ledger.get(id)
      if (!item) throw new AnomalyNotFoundError(id)
      let verification: string
      try {
        verification = await ledger.verify(id)
      } catch (err) {
        request.log.warn({ id, err: (err as Error).message }, 'anomaly verification failed')
        verification = 'UNKNOWN'
      }
      const proof = ledger.proof(id)
      return { ...item, verification, ...(proof ? { proof } : {}) }
    },
  )
}
