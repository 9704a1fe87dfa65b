import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUserRemove } from '../../src/commands/user/remove.js'
import { runUserUpdate } from '../../src/commands/user/update.js'
import { ACCOUNTS, givenApi, type ApiHarness } from './auth-harness.js'

type Caller = 'none' | 'expired' | 'forged' | 'admin' | 'user' | 'application' | 'removed' | 'roleChanged'
type Role = 'admin' | 'user' | 'application'

/** Every route this module owns, with a request whose allowed outcome is distinct from 401/403 and harmless. */
const ROUTES: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; body?: unknown; allowed: Role[]; ok: number }[] = [
  { method: 'POST', url: '/api/anomalies', body: { endpoint: 'matrix', level: 1, data: { t: 41 } }, allowed: ['admin', 'application'], ok: 202 },
  { method: 'GET', url: '/api/anomalies?endpoint=matrix', allowed: ['admin', 'user', 'application'], ok: 200 },
  { method: 'GET', url: '/api/anomalies/NO-SUCH-ID', allowed: ['admin', 'user', 'application'], ok: 404 },
  { method: 'POST', url: '/api/admin/clients', body: { endpoint: 'matrix-dev', serverUri: 'http://not-coap' }, allowed: ['admin'], ok: 400 },
  { method: 'DELETE', url: '/api/admin/clients/no-such-device', allowed: ['admin'], ok: 404 },
  { method: 'POST', url: '/api/admin/clients/no-such-device/move', body: { serverUri: 'coaps://10.0.0.9:5684' }, allowed: ['admin'], ok: 404 },
  { method: 'GET', url: '/api/admin/users', allowed: ['admin'], ok: 200 },
  { method: 'GET', url: '/api/admin/users/uma', allowed: ['admin'], ok: 200 },
  { method: 'POST', url: '/api/admin/users', body: { username: 'has space', email: 'x@example.com', role: 'user' }, allowed: ['admin'], ok: 400 },
  { method: 'PUT', url: '/api/admin/users/no-such-user', body: { role: 'user' }, allowed: ['admin'], ok: 404 },
  { method: 'DELETE', url: '/api/admin/users/no-such-user', allowed: ['admin'], ok: 404 },
]

describe('role matrix: every route x caller', () => {
  let h: ApiHarness
  const tokens = {} as Record<Caller, string | undefined>

  beforeAll(async () => {
    h = await givenApi()
    tokens.none = undefined
    for (const role of ['admin', 'user', 'application'] as const) tokens[role] = await h.login(ACCOUNTS[role].username, ACCOUNTS[role].password)
    const ada = h.view.userByUsername('ada')!
    tokens.expired = await h.signToken({ sub: 'ada', role: 'admin', ver: ada.version, exp: Math.floor(Date.now() / 1000) - 10 })
    tokens.forged = await h.signToken({ sub: 'ada', role: 'admin', ver: ada.version }, Uint8Array.from(randomBytes(32)))
    // A removed admin and an admin demoted to user: both tokens must stop working at once.
    await h.addUser('gone', 'admin', 'gone-password-5')
    await h.addUser('flip', 'admin', 'flip-password-6')
    tokens.removed = await h.login('gone', 'gone-password-5')
    tokens.roleChanged = await h.login('flip', 'flip-password-6')
    await runUserRemove(h.o, 'gone')
    await runUserUpdate(h.o, { username: 'flip', role: 'user' })
    await h.view.syncNow()
  })
  afterAll(async () => h?.close())

  const call = (r: (typeof ROUTES)[number], token: string | undefined) =>
    h.app.inject({ method: r.method, url: r.url, ...(r.body !== undefined ? { payload: r.body as object } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} })

  for (const route of ROUTES) {
    it(`${route.method} ${route.url}: ${route.allowed.join(', ')} only`, async () => {
      const seen: Record<string, number> = {}
      const want: Record<string, number> = {}
      for (const caller of Object.keys(tokens) as Caller[]) {
        const res = await call(route, tokens[caller])
        seen[caller] = res.statusCode
        const isRole = caller === 'admin' || caller === 'user' || caller === 'application'
        want[caller] = !isRole ? 401 : route.allowed.includes(caller) ? route.ok : 403
        if (res.statusCode === 401 || res.statusCode === 403) {
          expect(res.json()).toMatchObject({ error: res.statusCode === 401 ? 'unauthorized' : 'forbidden' })
        }
      }
      expect(seen).toEqual(want)
    })
  }

  it('401 says why without leaking: expired, bad signature, user gone, user changed', async () => {
    const msg = async (t: string | undefined) => (await call(ROUTES[1], t)).json().message
    expect(await msg(undefined)).toBe('invalid token: missing bearer token')
    expect(await msg(tokens.expired)).toBe('invalid token: expired')
    expect(await msg(tokens.forged)).toBe('invalid token: bad signature or format')
    expect(await msg(tokens.removed)).toBe('invalid token: user no longer exists')
    expect(await msg(tokens.roleChanged)).toBe('invalid token: user changed since login')
    expect(await msg('garbage')).toBe('invalid token: bad signature or format')
  })

  it('a demoted user logs in again with the new role; any update (a password change) also ends old tokens', async () => {
    const t = await h.login('flip', 'flip-password-6')
    expect((await call(ROUTES[6], t)).statusCode).toBe(403)
    expect((await call(ROUTES[1], t)).statusCode).toBe(200)
    await runUserUpdate(h.o, { username: 'flip', password: 'flip-new-password-7' })
    await h.view.syncNow()
    expect((await call(ROUTES[1], t)).statusCode).toBe(401)
    expect((await h.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'flip', password: 'flip-password-6' } })).statusCode).toBe(401)
    expect((await call(ROUTES[1], await h.login('flip', 'flip-new-password-7'))).statusCode).toBe(200)
  })
})
