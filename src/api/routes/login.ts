import type { FastifyInstance } from 'fastify'
import type { Logger } from '../../logger.js'
import { LoginBusyError, type PasswordAuthenticator } from '../auth/authenticate.js'
import { apiErrorHandler, sendError } from '../auth/httpErrors.js'
import type { LoginRateLimiter } from '../auth/rateLimit.js'
import type { ReadThroughLookup } from '../auth/readThrough.js'
import { errorSchema } from '../auth/schemas.js'
import { issueToken } from '../auth/tokens.js'
import { isRole } from '../auth/types.js'

export interface LoginRouteDeps {
  authenticator: PasswordAuthenticator
  limiter: LoginRateLimiter
  jwtKey: Uint8Array
  ttlSeconds: number
  now: () => number
  logger: Logger
  /** On a view miss, reads the chain once (src/api/auth/readThrough.ts); absent: the view is all there is. */
  readThrough?: ReadThroughLookup
}

const UNAUTHORIZED = 'wrong username, e-mail or password'

/** POST /api/login {username, password} → {token}; username may be the e-mail. Rate limited. */
export function registerLoginRoute(app: FastifyInstance, deps: LoginRouteDeps): void {
  app.post<{ Body: { username: string; password: string } }>(
    '/api/login',
    {
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Log in with username (or e-mail) and password; returns a short-lived JWT',
        tags: ['auth'],
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 320, description: 'username or e-mail address' },
            // Bounded: scrypt time grows with the input, and no real password is this long.
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['token'],
            properties: {
              token: { type: 'string', description: 'HS256 JWT; send as Authorization: Bearer <token>' },
              expiresAt: { type: 'string', format: 'date-time' },
              role: { type: 'string', enum: ['admin', 'user', 'application'] },
            },
          },
          400: errorSchema,
          401: errorSchema,
          429: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { username: account, password } = request.body
      const address = request.ip
      // The address limit first: it is what bounds the chain reads a flood of unknown names could cause.
      const early = deps.limiter.retryAfter(`name:${account}`, address)
      if (early > 0) {
        deps.logger.warn({ address }, 'login rate limited')
        reply.header('retry-after', String(early))
        return sendError(reply, 429, 'too_many_requests', `too many failed logins; retry in ${early} s`)
      }
      const found = deps.readThrough ? await deps.readThrough(account, (a) => deps.authenticator.lookup(a)) : deps.authenticator.lookup(account)
      // Count against the account itself, so alternating username and e-mail gains nothing.
      const key = found ? `user:${found.username}` : `name:${account}`
      const wait = deps.limiter.retryAfter(key, address)
      if (wait > 0) {
        deps.logger.warn({ address }, 'login rate limited')
        reply.header('retry-after', String(wait))
        return sendError(reply, 429, 'too_many_requests', `too many failed logins; retry in ${wait} s`)
      }
      let ok: boolean
      try {
        ok = await deps.authenticator.check(found, password)
      } catch (err) {
        if (!(err instanceof LoginBusyError)) throw err
        reply.header('retry-after', '1')
        return sendError(reply, 503, 'busy', err.shortMessage)
      }
      const user = ok ? found : undefined
      if (!user || !isRole(user.roleName)) {
        // A name neither the view nor the chain has counts against the address only: a miss must
        // not lock out an account that is about to appear (issue 16), and there is no account to protect.
        if (found) deps.limiter.failed(key, address)
        else deps.limiter.failedAddress(address)
        // E-mail addresses are sealed on chain: keep them out of logs too.
        deps.logger.warn({ address, account: account.includes('@') ? '(e-mail)' : account }, 'login failed')
        return sendError(reply, 401, 'unauthorized', UNAUTHORIZED)
      }
      deps.limiter.succeeded(key)
      const { token, expiresAt } = await issueToken(deps.jwtKey, { username: user.username, role: user.roleName, version: user.version }, { ttlSeconds: deps.ttlSeconds, now: deps.now() })
      deps.logger.info({ username: user.username, role: user.roleName }, 'login')
      return { token, expiresAt: new Date(expiresAt * 1000).toISOString(), role: user.roleName }
    },
  )
}
