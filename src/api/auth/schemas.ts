// Brings @fastify/swagger's FastifySchema fields (summary, tags, security) into the route option types.
import type {} from '@fastify/swagger'

/** JSON schemas shared by our routes (documented by the OpenAPI generator). */

/** `{ error, message }`. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const

/** Responses every authenticated route may give. */
export const authErrorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
} as const

/** The bearer-token security requirement (OpenAPI). */
export const bearerSecurity = [{ bearerAuth: [] }]
