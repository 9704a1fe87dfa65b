import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientList } from '../../src/commands/client/list.js'
import { runClientShow } from '../../src/commands/client/show.js'
import { runUserList, runUserShow } from '../../src/commands/user/list.js'
import { ACCOUNTS, givenApi, type ApiHarness } from './auth-harness.js'

describe('admin manages devices and users through the API, on chain', () => {
  let h: ApiHarness
  let admin: string

  beforeAll(async () => {
    h = await givenApi()
    admin = await h.login(ACCOUNTS.admin.username, ACCOUNTS.admin.password)
  })
  afterAll(async () => h?.close())

  const req = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token = admin) =>
    h.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { authorization: `Bearer ${token}` } })

  it('adds a device with generated credentials shown once, as `client add --json` does', async () => {
    const r = await req('POST', '/api/admin/clients', { endpoint: 'api-dev-1' })
    expect(r.statusCode).toBe(201)
    const body = r.json()
    expect(Object.keys(body).sort()).toEqual(['bootstrap', 'endpoint', 'server', 'txHash'])
    expect(body.server).toMatchObject({ uri: 'coaps://127.0.0.1:5684', key: expect.stringMatching(/^[0-9a-f]{32}$/) })
    // Visible in the view when the route answers, and on chain for the CLI.
    expect(h.view.clientByEndpoint('api-dev-1')?.server.identity).toBe(body.server.identity)
    const shown = await runClientShow(h.o, 'api-dev-1', true)
    expect(shown.server.key).toBe(body.server.key)
    expect(shown.bootstrap).toEqual(body.bootstrap)
  })

  it('adds a device with given identities and keys, and refuses duplicates and bad input', async () => {
    const r = await req('POST', '/api/admin/clients', { endpoint: 'api-dev-2', bsIdentity: 'api-bs-2', bsKey: '000102030405060708090a0b0c0d0e0f' })
    expect(r.statusCode).toBe(201)
    expect(r.json().bootstrap).toMatchObject({ identity: 'api-bs-2', key: '000102030405060708090a0b0c0d0e0f' })
    expect((await req('POST', '/api/admin/clients', { endpoint: 'api-dev-2' })).json()).toMatchObject({ error: 'conflict', message: 'client "api-dev-2" already exists' })
    expect((await req('POST', '/api/admin/clients', { endpoint: 'api-dev-3', bsIdentity: 'api-bs-2' })).statusCode).toBe(409)
    const bad = await req('POST', '/api/admin/clients', { endpoint: 'api-dev-4', serverKey: 'zz' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toMatch(/not valid hex/)
    expect((await req('POST', '/api/admin/clients', { endpoint: 'x'.repeat(256) })).statusCode).toBe(400)
    expect((await req('POST', '/api/admin/clients', {})).statusCode).toBe(400)
  })

  it('moves a device to another server', async () => {
    const r = await req('POST', '/api/admin/clients/api-dev-1/move', { serverUri: 'coaps://192.0.2.7:5684' })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ endpoint: 'api-dev-1', serverUri: 'coaps://192.0.2.7:5684', version: 2 })
    expect(h.view.clientByEndpoint('api-dev-1')?.server.uri).toBe('coaps://192.0.2.7:5684')
    expect((await runClientShow(h.o, 'api-dev-1')).server.uri).toBe('coaps://192.0.2.7:5684')
    expect((await req('POST', '/api/admin/clients/api-dev-1/move', {})).statusCode).toBe(400)
    expect((await req('POST', '/api/admin/clients/api-dev-1/move', { serverUri: 'http://x' })).statusCode).toBe(400)
  })

  it('removes a device', async () => {
    const r = await req('DELETE', '/api/admin/clients/api-dev-1')
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ endpoint: 'api-dev-1', txHash: expect.stringMatching(/^0x/) })
    expect(h.view.clientByEndpoint('api-dev-1')).toBeUndefined()
    expect((await runClientList(h.o)).map((c) => c.endpoint)).toEqual(['api-dev-2'])
    expect((await req('DELETE', '/api/admin/clients/api-dev-1')).statusCode).toBe(404)
  })

  it('lists users without e-mails or password verifiers', async () => {
    const r = await req('GET', '/api/admin/users')
    expect(r.statusCode).toBe(200)
    expect(r.json().items).toEqual([
      { username: 'ada', role: 'admin', version: 1 },
      { username: 'app', role: 'application', version: 1 },
      { username: 'uma', role: 'user', version: 1 },
    ])
    expect(r.json().next).toBeNull()
    // Paged and searched like /api/clients.
    const first = (await req('GET', '/api/admin/users?limit=2')).json()
    expect(first.items.map((u: { username: string }) => u.username)).toEqual(['ada', 'app'])
    expect((await req('GET', `/api/admin/users?limit=2&cursor=${first.next}`)).json().items.map((u: { username: string }) => u.username)).toEqual(['uma'])
    expect((await req('GET', '/api/admin/users?q=UM')).json()).toMatchObject({ items: [{ username: 'uma' }], total: 1 })
    expect(r.body).not.toMatch(/@|scrypt/)
    expect((await req('GET', '/api/admin/users/uma')).json()).toEqual({ username: 'uma', role: 'user', version: 1 })
    expect((await req('GET', '/api/admin/users/nobody')).statusCode).toBe(404)
  })

  it('adds a user with a generated password shown once, who can then log in', async () => {
    const r = await req('POST', '/api/admin/users', { username: 'newbie', email: 'newbie@example.com', role: 'application' })
    expect(r.statusCode).toBe(201)
    const { password, ...rest } = r.json()
    expect(rest).toMatchObject({ username: 'newbie', role: 'application' })
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(await runUserShow(h.o, 'newbie')).toMatchObject({ role: 'application', version: 1 })
    const token = await h.login('newbie@example.com', password)
    expect((await req('POST', '/api/anomalies', { endpoint: 'e', level: 2, data: 1 }, token)).statusCode).toBe(202)
    const given = await req('POST', '/api/admin/users', { username: 'chosen', email: 'chosen@example.com', role: 'user', password: 'chosen-password-8' })
    expect(given.json().password).toBeUndefined()
    await h.login('chosen', 'chosen-password-8')
    expect((await req('POST', '/api/admin/users', { username: 'chosen', email: 'c2@example.com', role: 'user' })).statusCode).toBe(409)
    expect((await req('POST', '/api/admin/users', { username: 'other', email: 'chosen@example.com', role: 'user' })).statusCode).toBe(409)
    expect((await req('POST', '/api/admin/users', { username: 'other', email: 'not-an-email', role: 'user' })).statusCode).toBe(400)
    expect((await req('POST', '/api/admin/users', { username: 'other', email: 'o@example.com', role: 'root' })).statusCode).toBe(400)
  })

  it('updates a user: the change is on chain and their old token stops working', async () => {
    const old = await h.login('chosen', 'chosen-password-8')
    const r = await req('PUT', '/api/admin/users/chosen', { role: 'admin', email: 'chosen2@example.com' })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ username: 'chosen', role: 'admin', changed: ['email', 'role'], version: 2 })
    expect(await runUserShow(h.o, 'chosen')).toMatchObject({ role: 'admin', version: 2 })
    expect((await req('GET', '/api/admin/users', undefined, old)).statusCode).toBe(401)
    const fresh = await h.login('chosen2@example.com', 'chosen-password-8')
    expect((await req('GET', '/api/admin/users', undefined, fresh)).statusCode).toBe(200)
    expect((await req('PUT', '/api/admin/users/chosen', {})).statusCode).toBe(400)
    expect((await req('PUT', '/api/admin/users/nobody', { role: 'user' })).statusCode).toBe(404)
  })

  it('removes a user: gone on chain, their token refused', async () => {
    expect((await req('PUT', '/api/admin/users/newbie', { password: 'newbie-password-9' })).json()).toMatchObject({ changed: ['password'] })
    const token = await h.login('newbie@example.com', 'newbie-password-9')
    const r = await req('DELETE', '/api/admin/users/newbie')
    expect(r.statusCode).toBe(200)
    expect((await runUserList(h.o)).map((u) => u.username)).not.toContain('newbie')
    expect((await req('GET', '/api/anomalies', undefined, token)).statusCode).toBe(401)
    expect((await h.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'newbie', password: 'newbie-password-9' } })).statusCode).toBe(401)
    expect((await req('DELETE', '/api/admin/users/newbie')).statusCode).toBe(404)
  })

  it('logs admin actions without keys, passwords or e-mails', () => {
    const text = h.logs.join('\n')
    expect(text).toContain('"msg":"client added"')
    expect(text).toContain('"msg":"user added"')
    for (const s of ['000102030405060708090a0b0c0d0e0f', 'chosen-password-8', 'newbie-password-9', 'chosen@example.com', 'chosen2@example.com', 'newbie@example.com']) {
      expect(text.includes(s), s).toBe(false)
    }
  })
})
