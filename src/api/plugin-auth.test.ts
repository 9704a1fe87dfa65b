import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../chain/users/password.js'
import type { UserView } from '../chain/view/types.js'
import { registerOpenApi } from './openapi.js'
import { registerAuth, requireRole } from './plugin-auth.js'
import { registerAnomalyRoutes } from './routes/anomalies.js'

const silent = pino({ level: 'silent' })
let opened: FastifyInstance | undefined
afterEach(async () => opened?.close())
/** A fastify app closed after the test. */
function newApp(): FastifyInstance {
  opened = Fastify({ loggerInstance: silent }) as unknown as FastifyInstance
  return opened
}

/** An in-memory user directory (the interface's simplest implementation). */
async function directory(): Promise<{ byUsername(u: string): UserView | undefined; byEmail(e: string): UserView | undefined; users: Map<string, UserView> }> {
  const users = new Map<string, UserView>()
  const base = { emailHash: '0x00' as const, version: 1 }
  users.set('olga', { ...base, username: 'olga', role: 2, roleName: 'user', email: 'olga@example.com', passwordVerifier: await hashPassword('olga-pw') })
  return { users, byUsername: (u) => users.get(u), byEmail: (e) => [...users.values()].find((u) => u.email === e.toLowerCase()) }
}

describe('registerAuth / requireRole', () => {
  it('guards a route as preHandler too, and reacts to the directory at once', async () => {
    const users = await directory()
    const app = newApp()
    await app.register(async (api) => {
      await registerAuth(api, { users, jwtKey: Uint8Array.from(randomBytes(32)), logger: silent })
      api.get('/api/for-users', { preHandler: requireRole('user') }, async (req) => ({ who: req.auth?.username }))
      api.get('/api/for-admins', { preHandler: requireRole('admin') }, async () => ({ ok: true }))
    })
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'olga@example.com', password: 'olga-pw' } })
    expect(login.statusCode).toBe(200)
    const headers = { authorization: `Bearer ${login.json().token}` }
    expect((await app.inject({ url: '/api/for-users', headers })).json()).toEqual({ who: 'olga' })
    expect((await app.inject({ url: '/api/for-admins', headers })).statusCode).toBe(403)
    expect((await app.inject({ url: '/api/for-users' })).headers['www-authenticate']).toBe('Bearer')
    users.users.set('olga', { ...users.users.get('olga')!, version: 2 })
    expect((await app.inject({ url: '/api/for-users', headers })).statusCode).toBe(401)
  })

  it('issues tokens that expire after the configured lifetime (clamped to one hour)', async () => {
    let t = Date.now()
    const app = newApp()
    await registerAuth(app, { users: await directory(), jwtKey: Uint8Array.from(randomBytes(32)), logger: silent, tokenTtlSeconds: 7200, now: () => t })
    app.get('/api/me', { onRequest: requireRole('user') }, async (req) => req.auth)
    const { token } = (await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'olga', password: 'olga-pw' } })).json()
    const headers = { authorization: `Bearer ${token}` }
    expect((await app.inject({ url: '/api/me', headers })).json()).toEqual({ username: 'olga', role: 'user', version: 1 })
    t += 3599_000
    expect((await app.inject({ url: '/api/me', headers })).statusCode).toBe(200)
    t += 2_000
    expect((await app.inject({ url: '/api/me', headers })).json()).toMatchObject({ error: 'unauthorized', message: 'invalid token: expired' })
  })

  it('refuses a JWT key shorter than 32 bytes', async () => {
    const app = newApp()
    await expect(registerAuth(app, { users: await directory(), jwtKey: new Uint8Array(16), logger: silent })).rejects.toThrow(/32 bytes/)
  })

  it('documents login and anomaly routes in OpenAPI with summaries, tags and bearer security', async () => {
    const app = newApp()
    registerOpenApi(app)
    await app.register(async (api) => {
      await registerAuth(api, { users: await directory(), jwtKey: Uint8Array.from(randomBytes(32)), logger: silent })
      registerAnomalyRoutes(api, { ledger: {} as never })
    })
    await app.ready()
    const doc = app.swagger() as { paths: Record<string, Record<string, { summary?: string; tags?: string[]; security?: unknown }>> }
    expect(doc.paths['/api/login'].post).toMatchObject({ summary: expect.any(String), tags: ['auth'] })
    expect(doc.paths['/api/login'].post.security).toBeUndefined()
    for (const [path, method] of [['/api/anomalies', 'post'], ['/api/anomalies', 'get'], ['/api/anomalies/{id}', 'get']]) {
      expect(doc.paths[path][method]).toMatchObject({ summary: expect.any(String), tags: ['anomalies'], security: [{ bearerAuth: [] }] })
    }
  })
})
