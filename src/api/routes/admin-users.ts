import type { FastifyInstance } from 'fastify'
import { UserNotFoundError } from '../../chain/errors.js'
import { readSealingPublicKey } from '../../chain/keys/readSealingPublicKey.js'
import { parseRole, roleToName, sealUserRecordWith, validateEmail, validateUsername } from '../../chain/records/userRecord.js'
import { addUser } from '../../chain/users/addUser.js'
import { changeUser } from '../../chain/users/changeUser.js'
import { generatePassword, hashPassword } from '../../chain/users/password.js'
import { removeUser } from '../../chain/users/removeUser.js'
import { loadProfile, requireEmailKey } from '../../chain/profile.js'
import { UsageError } from '../../errors/base.js'
import { apiErrorHandler } from '../auth/httpErrors.js'
import { authErrorResponses, bearerSecurity, errorSchema } from '../auth/schemas.js'
import { ROLE_NAMES } from '../auth/types.js'
import { pageOf, pageQuerySchema, pageSchema, type PageQuery } from '../paging.js'
import { requireRole } from '../plugin-auth.js'
import { adminDeployment, requireWriter, sealerOf, writerOf, type AdminRoutesDeps } from './admin-context.js'

export type { AdminRoutesDeps } from './admin-context.js'

const userItem = {
  type: 'object',
  required: ['username', 'role', 'version'],
  // No e-mail, no verifier: both are sealed on chain and stay so through the API.
  properties: { username: { type: 'string' }, role: { type: 'string' }, version: { type: 'integer' } },
} as const
const usernameParams = { type: 'object', required: ['username'], properties: { username: { type: 'string', minLength: 1, maxLength: 255 } } } as const
const roleSchema = { type: 'string', enum: [...ROLE_NAMES] } as const
const writeErrors = { ...authErrorResponses, 404: errorSchema, 409: errorSchema, 503: errorSchema, 504: errorSchema } as const

/**
 * User management for admins, with the validation and sealing of `lwchain user add|update|remove`:
 * GET/POST /api/admin/users, GET/PUT/DELETE /api/admin/users/{username}.
 */
export function registerAdminUserRoutes(app: FastifyInstance, deps: AdminRoutesDeps): void {
  const deployment = adminDeployment(deps)
  const userStore = deployment.contracts.userStore
  const visible = (block: bigint) => deps.view.waitForBlock(block, deps.viewTimeoutMs)
  const admin = requireRole('admin')
  // The key on chain at each write: the server may outlive a `keys rotate`.
  const sealingKey = () => readSealingPublicKey(writerOf(deps).publicClient, { clientStore: deployment.contracts.clientStore, rpcUrl: writerOf(deps).rpcUrl })
  // Writes need the writer key too; without it they answer 403 saying so (listings still work).
  const adminWriter = [admin, requireWriter(deps)]
  // Read at each write, so `user migrate-emails` needs no restart.
  const emailKey = () => requireEmailKey(loadProfile(deps.configDir))
  const listItem = (u: { username: string; role: number; version: number }) => ({ username: u.username, role: roleToName(u.role), version: u.version })

  app.get(
    '/api/admin/users',
    {
      onRequest: admin,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'List users by username, paged (no e-mail addresses or password verifiers)',
        tags: ['admin'],
        security: bearerSecurity,
        querystring: { type: 'object', properties: pageQuerySchema },
        response: { 200: pageSchema(userItem), ...authErrorResponses },
      },
    },
    async (request) => {
      const page = pageOf(deps.view.users(), request.query as PageQuery, (u) => u.username, (u) => u.username)
      return { ...page, items: page.items.map(listItem) }
    },
  )

  app.get<{ Params: { username: string } }>(
    '/api/admin/users/:username',
    {
      onRequest: admin,
      errorHandler: apiErrorHandler,
      schema: { summary: 'Show one user (no secrets)', tags: ['admin'], security: bearerSecurity, params: usernameParams, response: { 200: userItem, ...authErrorResponses, 404: errorSchema } },
    },
    async (request) => {
      const user = deps.view.userByUsername(request.params.username)
      if (!user) throw new UserNotFoundError(request.params.username)
      return listItem(user)
    },
  )

  app.post<{ Body: { username: string; email: string; role: string; password?: string } }>(
    '/api/admin/users',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Add a user; a generated password is returned once when none is given',
        tags: ['admin'],
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['username', 'email', 'role'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 255 }, email: { type: 'string', minLength: 3, maxLength: 255 }, role: roleSchema, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: {
          201: {
            type: 'object',
            required: ['username', 'role', 'txHash'],
            properties: { username: { type: 'string' }, role: { type: 'string' }, password: { type: 'string', description: 'only when generated; shown once' }, txHash: { type: 'string' } },
          },
          ...writeErrors,
        },
      },
    },
    async (request, reply) => {
      const username = validateUsername(request.body.username)
      const email = validateEmail(request.body.email)
      const role = parseRole(request.body.role)
      const generated = request.body.password === undefined ? generatePassword() : undefined
      const password = request.body.password ?? generated!
      const record = await sealUserRecordWith(sealerOf(deps), { username, role, email, passwordVerifier: await hashPassword(password) }, await sealingKey(), emailKey())
      const { txHash, block } = await addUser(writerOf(deps), { userStore, record })
      await visible(block)
      request.log.info({ username, role: roleToName(role), by: request.auth?.username, txHash }, 'user added')
      return reply.code(201).send({ username, role: roleToName(role), ...(generated ? { password: generated } : {}), txHash })
    },
  )

  app.put<{ Params: { username: string }; Body: { email?: string; role?: string; password?: string } }>(
    '/api/admin/users/:username',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: "Change a user's e-mail, role and/or password (their tokens stop working)",
        tags: ['admin'],
        security: bearerSecurity,
        params: usernameParams,
        body: {
          type: 'object',
          properties: { email: { type: 'string', minLength: 3, maxLength: 255 }, role: roleSchema, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['username', 'role', 'changed', 'version', 'txHash'],
            properties: { username: { type: 'string' }, role: { type: 'string' }, changed: { type: 'array', items: { type: 'string' } }, version: { type: 'integer' }, txHash: { type: 'string' } },
          },
          ...writeErrors,
        },
      },
    },
    async (request) => {
      const username = validateUsername(request.params.username)
      const { body } = request
      if (body.email === undefined && body.role === undefined && body.password === undefined) throw new UsageError('nothing to update: give email, role and/or password')
      const email = body.email !== undefined ? validateEmail(body.email) : undefined
      const role = body.role !== undefined ? parseRole(body.role) : undefined
      const { record, changed, version, txHash, block } = await changeUser(writerOf(deps), {
        userStore,
        deployBlock: BigInt(deployment.deployBlock),
        sealingPublicKey: await sealingKey(),
        ...(body.email !== undefined && { emailKey: emailKey() }),
        username,
        email,
        role,
        password: body.password,
        sealer: sealerOf(deps),
      })
      await visible(block)
      request.log.info({ username, changed, by: request.auth?.username, txHash }, 'user updated')
      return { username, role: roleToName(record.role), changed, version, txHash }
    },
  )

  app.delete<{ Params: { username: string } }>(
    '/api/admin/users/:username',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Remove a user (their tokens stop working)',
        tags: ['admin'],
        security: bearerSecurity,
        params: usernameParams,
        response: { 200: { type: 'object', required: ['username', 'txHash'], properties: { username: { type: 'string' }, txHash: { type: 'string' } } }, ...writeErrors },
      },
    },
    async (request) => {
      const username = validateUsername(request.params.username)
      const { txHash, block } = await removeUser(writerOf(deps), { userStore, username })
      await visible(block)
      request.log.info({ username, by: request.auth?.username, txHash }, 'user removed')
      return { username, txHash }
    },
  )
}
