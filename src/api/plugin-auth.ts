import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import type { UserView } from '../chain/view/types.js'
import type { Logger } from '../logger.js'
import { createPasswordAuthenticator, type UserLookup } from './auth/authenticate.js'
import { InvalidTokenError } from './auth/errors.js'
import { sendError } from './auth/httpErrors.js'
import { createLoginRateLimiter, type LoginRateLimitOptions } from './auth/rateLimit.js'
import { createReadThrough } from './auth/readThrough.js'
import { bearerToken, tokenTtl, verifyToken } from './auth/tokens.js'
import type { AuthContext, Role } from './auth/types.js'
import { registerLoginRoute } from './routes/login.js'

export type { AuthContext, Role } from './auth/types.js'

/**
 * Where users are looked up: `{ byUsername, byEmail }`, or a ChainView as it is
 * (`userByUsername` / `userByEmail`), which is adapted.
 */
export type UserDirectory =
  | { byUsername(u: string): UserView | undefined; byEmail(e: string): UserView | undefined }
  | { userByUsername(u: string): UserView | undefined; userByEmail(e: string): UserView | undefined }

export interface AuthDeps {
  users: UserDirectory
  /** The per-deployment HS256 key (loadOrCreateJwtKey). */
  jwtKey: Uint8Array
  /** Token lifetime; default 900 s, at most 3,600 s. */
  tokenTtlSeconds?: number
  logger: Logger
  /** Clock in ms (tests). Default Date.now. */
  now?: () => number
  /** Login rate limits; default 5 failures per account and 20 per address per minute. */
  rateLimit?: LoginRateLimitOptions
  /** One sync round of the user directory (ChainView.syncNow): a login that misses reads the chain once. */
  refreshUsers?: () => Promise<void>
  /** Bounds of that read-through (least ms between rounds, longest wait). */
  readThrough?: { minIntervalMs?: number; timeoutMs?: number }
}

/** What registerAuth hangs on the fastify instance for requireRole(). */
export interface AuthVerifier {
  /** The request's caller from its bearer token, re-checked against the chain view; throws InvalidTokenError. */
  authenticate(authorization: string | undefined): Promise<AuthContext>
}

declare module 'fastify' {
  interface FastifyInstance {
    lwchainAuth: AuthVerifier
  }
  interface FastifyRequest {
    /** Set by requireRole() on routes that pass it. */
    auth: AuthContext | null
  }
}

/** Adapts either form of UserDirectory to `{ byUsername, byEmail }`. */
export function userDirectoryOf(users: UserDirectory): UserLookup {
  if ('byUsername' in users) return users
  return { byUsername: (u) => users.userByUsername(u), byEmail: (e) => users.userByEmail(e) }
}

/**
 * Adds POST /api/login and the token verifier requireRole() uses. Call it on the root instance,
 * before any route registrar.
 */
export async function registerAuth(app: FastifyInstance, deps: AuthDeps): Promise<void> {
  if (deps.jwtKey.length < 32) throw new TypeError('the JWT key must be at least 32 bytes')
  const users = userDirectoryOf(deps.users)
  const now = deps.now ?? Date.now
  const verifier: AuthVerifier = {
    async authenticate(authorization) {
      const token = bearerToken(authorization)
      if (!token) throw new InvalidTokenError('missing bearer token')
      const claims = await verifyToken(deps.jwtKey, token, now())
      // The chain is the authority: a removed user, a role change or any update (version bump) ends the token.
      const user = users.byUsername(claims.username)
      if (!user) throw new InvalidTokenError('user no longer exists')
      if (user.roleName !== claims.role || user.version !== claims.version) throw new InvalidTokenError('user changed since login')
      return claims
    },
  }
  app.decorate('lwchainAuth', verifier)
  app.decorateRequest('auth', null)
  registerLoginRoute(app, {
    authenticator: createPasswordAuthenticator(users),
    limiter: createLoginRateLimiter({ now, ...deps.rateLimit }),
    jwtKey: deps.jwtKey,
    ttlSeconds: tokenTtl(deps.tokenTtlSeconds),
    now,
    logger: deps.logger.child({ component: 'api-auth' }),
    ...(deps.refreshUsers && { readThrough: createReadThrough({ refresh: deps.refreshUsers, now, ...deps.readThrough }).lookup }),
  })
}

/**
 * A guard hook: 401 without a valid, current token; 403 when the caller's role is not one of
 * `roles`. Sets request.auth. Works as `preHandler` or as `onRequest` (our routes use onRequest,
 * so an unauthenticated caller gets 401 before its body is parsed or validated).
 */
export function requireRole(...roles: Role[]): preHandlerHookHandler {
  return async function roleGuard(request: FastifyRequest, reply: FastifyReply) {
    const verifier = request.server.lwchainAuth
    if (!verifier) throw new Error('registerAuth() was not called before requireRole()')
    let ctx: AuthContext
    try {
      ctx = await verifier.authenticate(request.headers.authorization)
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err
      reply.header('www-authenticate', 'Bearer')
      return sendError(reply, 401, 'unauthorized', err.shortMessage)
    }
    if (!roles.includes(ctx.role)) return sendError(reply, 403, 'forbidden', `role ${ctx.role} may not do this`)
    request.auth = ctx
  }
}
