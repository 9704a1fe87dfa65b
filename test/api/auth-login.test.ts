import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listenHttp } from '../../src/api/http.js'
import { ACCOUNTS, givenApi, type ApiHarness } from './auth-harness.js'

describe('POST /api/login', () => {
  let h: ApiHarness
  let url: string

  beforeAll(async () => {
    h = await givenApi({ authDeps: { rateLimit: { perAccount: 5, perAddress: 20 } } })
    url = await listenHttp(h.app, { host: '127.0.0.1', port: 0 })
  })
  afterAll(async () => h?.close())

  const login = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

  it('logs in by username and returns a short-lived HS256 JWT with sub, role and ver', async () => {
    const r = await login({ username: ACCOUNTS.admin.username, password: ACCOUNTS.admin.password })
    expect(r.status).toBe(200)
    const body = (await r.json()) as { token: string; role: string; expiresAt: string }
    expect(body.role).toBe('admin')
    const [header, payload] = body.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
    expect(header.alg).toBe('HS256')
    const user = h.view.userByUsername(ACCOUNTS.admin.username)!
    expect(payload).toMatchObject({ sub: 'ada', role: 'admin', ver: user.version })
    expect(payload.exp - payload.iat).toBe(900)
    expect(Date.parse(body.expiresAt) / 1000).toBe(payload.exp)
  })

  it('logs in by e-mail, whatever its case', async () => {
    const r = await login({ username: 'uma@example.COM', password: ACCOUNTS.user.password })
    expect(r.status).toBe(200)
    const { token } = (await r.json()) as { token: string }
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
    expect(payload).toMatchObject({ sub: 'uma', role: 'user' })
    const app = await login({ username: ACCOUNTS.application.email, password: ACCOUNTS.application.password })
    expect(app.status).toBe(200)
  })

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await login({ username: 'ada', password: 'not-it' }, { 'x-test': '1' })
    const unknown = await login({ username: 'nobody', password: 'not-it' })
    const unknownEmail = await login({ username: 'nobody@example.com', password: 'not-it' })
    for (const r of [wrong, unknown, unknownEmail]) {
      expect(r.status).toBe(401)
      expect(await r.json()).toEqual({ error: 'unauthorized', message: 'wrong username, e-mail or password' })
    }
  })

  it('refuses malformed bodies with 400 { error, message }', async () => {
    for (const body of [{}, { username: 'ada' }, { username: '', password: 'x' }, { username: 'ada', password: 'x'.repeat(2000) }, 'text']) {
      const r = await login(body)
      expect(r.status).toBe(400)
      const json = (await r.json()) as Record<string, unknown>
      expect(json).toMatchObject({ error: 'bad_request' })
      expect(typeof json.message).toBe('string')
    }
  })

  it('rate limits failures per account with 429 and Retry-After, even for the right password', async () => {
    await h.addUser('rita', 'user', 'rita-password-4')
    // Username and e-mail count against the same account.
    for (let i = 0; i < 5; i++) {
      const username = i % 2 ? 'rita@example.com' : 'rita'
      expect((await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: `10.1.0.${i}`, payload: { username, password: 'bad' } })).statusCode).toBe(401)
    }
    const blocked = await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: '10.1.0.99', payload: { username: 'rita', password: 'rita-password-4' } })
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(blocked.json()).toMatchObject({ error: 'too_many_requests' })
    // Other accounts are not affected.
    expect((await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: '10.1.0.99', payload: { username: 'uma', password: ACCOUNTS.user.password } })).statusCode).toBe(200)
  })

  it('rate limits failures per client address across accounts', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: '10.2.0.1', payload: { username: `guess${i}`, password: 'bad' } })
      expect(r.statusCode).toBe(401)
    }
    const r = await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: '10.2.0.1', payload: { username: 'app', password: ACCOUNTS.application.password } })
    expect(r.statusCode).toBe(429)
    expect(r.headers['retry-after']).toBeDefined()
    const other = await h.app.inject({ method: 'POST', url: '/api/login', remoteAddress: '10.2.0.2', payload: { username: 'app', password: ACCOUNTS.application.password } })
    expect(other.statusCode).toBe(200)
  })

  it('never logs a password, token, e-mail address or the JWT key', async () => {
    const r = await login({ username: ACCOUNTS.user.email, password: ACCOUNTS.user.password })
    const { token } = (await r.json()) as { token: string }
    await fetch(`${url}/api/anomalies`, { headers: { authorization: `Bearer ${token}` } })
    await login({ username: 'ada@example.com', password: 'a-wrong-guess-password' })
    const text = h.logs.join('\n')
    expect(text).toContain('"msg":"login"')
    expect(text).toContain('"msg":"login failed"')
    const secrets = [
      ...Object.values(ACCOUNTS).flatMap((a) => [a.password, a.email, a.email.toLowerCase()]),
      'a-wrong-guess-password',
      token,
      token.split('.')[2],
      Buffer.from(h.jwtKey).toString('hex'),
      'scrypt$',
    ]
    for (const s of secrets) expect(text.includes(s), `log contains ${s.slice(0, 6)}…`).toBe(false)
  })
})
