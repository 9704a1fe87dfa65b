import type { FastifyInstance } from 'fastify'
import { apiErrorHandler } from '../auth/httpErrors.js'
import { authErrorResponses, bearerSecurity } from '../auth/schemas.js'
import { requireRole } from '../plugin-auth.js'

export interface MeRouteDeps {
  /** Undefined when admins can manage devices and users here; else why not (no writer key, no chain view). */
  adminWritesOff?: string
}

/**
 * GET /api/me: who the token belongs to, and what this server lets an admin do, so the console
 * shows only the controls that can work (device and user management needs the server's writer key).
 */
export function registerMeRoute(app: FastifyInstance, deps: MeRouteDeps): void {
  app.get(
    '/api/me',
    {
      onRequest: requireRole('admin', 'user', 'application'),
      errorHandler: apiErrorHandler,
      schema: {
        summary: "The caller's account and this server's capabilities",
        tags: ['auth'],
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            required: ['username', 'role', 'version', 'adminWrites'],
            properties: {
              username: { type: 'string' },
              role: { type: 'string' },
              version: { type: 'integer' },
              adminWrites: { type: 'boolean', description: 'whether device and user management can write on chain here (admins only)' },
              adminWritesOff: { type: 'string', description: 'why not, when adminWrites is false' },
            },
          },
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const me = request.auth!
      const off = me.role === 'admin' ? deps.adminWritesOff : 'only admins manage devices and users'
      return { username: me.username, role: me.role, version: me.version, adminWrites: off === undefined, ...(off !== undefined && { adminWritesOff: off }) }
    },
  )
}
