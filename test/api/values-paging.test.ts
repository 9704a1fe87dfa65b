/**
 * The latest values (auto-observe on registration, reads, Send), the models route, paging of
 * GET /api/clients, and the read-your-writes login, against `serve server` on a real chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { silentLogger } from '../../src/logger.js'
import { eventually } from '../helpers/binary.js'
import { givenApiSystem, type ApiSystem } from './devices-helpers.js'

type Values = Record<string, { value: unknown; time: string; source: string; history?: Array<{ time: string; value: number }> }>

describe('latest values, models and paging through the REST API', () => {
  let sys: ApiSystem
  beforeAll(async () => {
    sys = await givenApiSystem()
  }, 120_000)
  afterAll(async () => {
    await sys?.stop()
  })
  const json = async <T>(method: string, path: string, role: 'admin' | 'user' | 'application' = 'user'): Promise<T> => {
    const res = await sys.call(method, path, { role })
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }

  it('observes the temperature on registration: values arrive without a Read, with time and history, for a plain user too', async () => {
    const dev = await sys.device('val-1', 19.5)
    const first = await eventually(async () => {
      const c = await json<{ values: Values }>('GET', '/api/clients/val-1')
      return c.values['/3303/0/5700']
    })
    expect(first).toMatchObject({ value: 19.5 })
    expect(Date.parse(first.time)).toBeGreaterThan(Date.now() - 60_000)
    dev.temperature(20.5)
    dev.temperature(22)
    const v = await eventually(async () => {
      const body = await json<{ values: Values }>('GET', '/api/clients/val-1/values')
      const t = body.values['/3303/0/5700']
      return t?.value === 22 ? t : undefined
    })
    expect(v.source).toBe('notification')
    expect(v.history!.map((s) => s.value)).toEqual(expect.arrayContaining([19.5, 22]))
    // The auto-observation is the API's: DELETE .../observe cancels it.
    expect(sys.server.rest!.observations.get('val-1', '/3303/0/5700')).toBeDefined()
    // The list carries the values too (one page, registered only).
    const list = await json<{ items: Array<{ endpoint: string; values?: Values }> }>('GET', '/api/clients?status=registered&q=val-1')
    expect(list.items[0]!.values!['/3303/0/5700']!.value).toBe(22)
  })

  it('records Reads made through the API and Sends from the daemon event, and forgets a device that leaves', async () => {
    const dev = await sys.device('val-2')
    await json('GET', '/api/clients/val-2/3/0/0', 'application')
    ;(sys.server.daemon.events as unknown as NodeJS.EventEmitter).emit('send', { endpoint: 'val-2', values: [{ path: '/3/0/9', value: 87, time: 1_700_000_000 }] })
    const values = (await json<{ values: Values }>('GET', '/api/clients/val-2/values')).values
    expect(values['/3/0/0']).toMatchObject({ value: 'lwchain', source: 'read' })
    expect(values['/3/0/9']).toMatchObject({ value: 87, source: 'send', time: '2023-11-14T22:13:20.000Z' })
    await dev.stop()
    await eventually(async () => (sys.server.daemon.registrations.byEndpoint('val-2') ? undefined : true))
    expect(sys.server.rest!.values.latest('val-2')).toEqual({})
    expect((await sys.call('GET', '/api/clients/val-2/values', { role: 'user' })).status).toBe(404)
  })

  it('GET /api/models names objects and resources with type, unit and operations', async () => {
    const { objects } = await json<{ objects: Array<{ id: number; name: string; resources: Array<{ id: number; name: string; type: string; operations: string; units?: string }> }> }>('GET', '/api/models?ids=3,3303')
    expect(objects.map((o) => [o.id, o.name])).toEqual([[3, 'Device'], [3303, 'Temperature']])
    expect(objects[1]!.resources.find((r) => r.id === 5700)).toMatchObject({ name: 'Sensor Value', type: 'float', operations: 'R' })
    expect(objects[0]!.resources.find((r) => r.id === 9)).toMatchObject({ name: 'Battery Level', units: '/100' })
    expect((await sys.call('GET', '/api/models?ids=abc', { role: 'user' })).status).toBe(400)
    expect((await sys.call('GET', '/api/models')).status).toBe(401)
  })

  it('pages GET /api/clients with limit and cursor, filters with q, and refuses a forged cursor', async () => {
    for (const ep of ['page-a', 'page-b', 'page-c']) await sys.provision(ep)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: Array<{ endpoint: string; status: string }>; next: string | null; total: number } = await json('GET', `/api/clients?limit=1&q=page-${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.items.length).toBeLessThanOrEqual(1)
      expect(page.total).toBe(3)
      seen.push(...page.items.map((i) => `${i.endpoint}:${i.status}`))
      cursor = page.next
    } while (cursor)
    expect(seen).toEqual(['page-a:provisioned', 'page-b:provisioned', 'page-c:provisioned'])
    expect((await sys.call('GET', '/api/clients?cursor=%21%21', { role: 'user' })).status).toBe(400)
    expect((await sys.call('GET', '/api/clients?limit=5000', { role: 'user' })).status).toBe(400)
  })
})

describe('read-your-writes login', () => {
  let sys: ApiSystem
  let slow: RunningServer
  beforeAll(async () => {
    sys = await givenApiSystem()
    // A second server on the same deployment whose view polls once a minute and does not follow
    // new heads (that would sync it at the next block): only the read-through can see a new user.
    slow = await runServeServer({ ...sys.cmd, port: 0, httpPort: 0, pollIntervalMs: 60_000, headsUrl: false, cursorName: 'slow-view.json', anomalyDir: `${sys.cmd.configDir}/anomalies-slow`, logger: silentLogger() })
  }, 120_000)
  afterAll(async () => {
    await slow?.stop()
    await sys?.stop()
  })
  const login = (username: string, password: string) =>
    fetch(`${slow.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })

  it('logs in a user right after user add, though the view has not polled since', async () => {
    await runUserAdd(sys.cmd, { username: 'fresh1', email: 'fresh1@example.com', role: 'user', password: 'fresh-password-1' })
    expect(slow.view!.userByUsername('fresh1')).toBeUndefined()
    const res = await login('fresh1', 'fresh-password-1')
    expect(res.status).toBe(200)
    // By e-mail as well.
    await runUserAdd(sys.cmd, { username: 'fresh2', email: 'fresh2@example.com', role: 'user', password: 'fresh-password-2' })
    expect((await login('fresh2@example.com', 'fresh-password-2')).status).toBe(200)
  })

  it('does not count a name the chain does not have against that account: it logs in once it exists', async () => {
    for (let i = 0; i < 6; i++) expect((await login('later1', 'later-password-1')).status).toBe(401)
    await runUserAdd(sys.cmd, { username: 'later1', email: 'later1@example.com', role: 'user', password: 'later-password-1' })
    expect((await login('later1', 'later-password-1')).status).toBe(200)
    // A wrong password for an account that exists still counts (5 per account, then 429).
    for (let i = 0; i < 5; i++) expect((await login('later1', 'wrong-password')).status).toBe(401)
    expect((await login('later1', 'wrong-password')).status).toBe(429)
  })
})
