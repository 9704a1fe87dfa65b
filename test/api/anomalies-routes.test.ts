import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCOUNTS, givenApi, type ApiHarness } from './auth-harness.js'

describe('anomaly routes', () => {
  let h: ApiHarness
  let app: string
  let user: string

  beforeAll(async () => {
    h = await givenApi()
    app = await h.login(ACCOUNTS.application.username, ACCOUNTS.application.password)
    user = await h.login(ACCOUNTS.user.email, ACCOUNTS.user.password)
  })
  afterAll(async () => h?.close())

  const post = (body: unknown, token = app) =>
    h.app.inject({ method: 'POST', url: '/api/anomalies', payload: body as object, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })
  const get = (url: string, token = user) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

  it('accepts an anomaly with 202 and an id, before the chain confirms', async () => {
    const r = await post({ endpoint: 'sensor-1', level: 2, data: { temperature: 46.5, unit: 'C' }, timestamp: '2026-11-24T10:00:00Z' })
    expect(r.statusCode).toBe(202)
    const { id } = r.json()
    expect(id).toMatch(/^[0-9A-Z]{26}$/)
    const item = (await get(`/api/anomalies/${id}`)).json()
    expect(item).toMatchObject({ id, endpoint: 'sensor-1', level: 2, data: { temperature: 46.5, unit: 'C' }, timestamp: '2026-11-24T10:00:00.000Z', collectedAt: Date.parse('2026-11-24T10:00:00Z') / 1000 })
    expect(['pending', 'anchored']).toContain(item.status)
  })

  it('takes the time as seconds and defaults it to now', async () => {
    const r = await post({ endpoint: 'sensor-2', level: 1, data: 'x', timestamp: 1795600900 })
    expect((await get(`/api/anomalies/${r.json().id}`)).json().collectedAt).toBe(1795600900)
    const before = Math.floor(Date.now() / 1000)
    const now = await post({ endpoint: 'sensor-2', level: 1, data: null })
    expect(now.statusCode).toBe(202)
    expect((await get(`/api/anomalies/${now.json().id}`)).json().collectedAt).toBeGreaterThanOrEqual(before)
  })

  it('refuses bad anomalies with 400 { error, message }', async () => {
    const bad = [
      { level: 1, data: 1 },
      { endpoint: '', level: 1, data: 1 },
      { endpoint: 'é'.repeat(200), level: 1, data: 1 },
      { endpoint: 'e', level: 0, data: 1 },
      { endpoint: 'e', level: 256, data: 1 },
      { endpoint: 'e', level: 1.5, data: 1 },
      { endpoint: 'e', level: 1 },
      { endpoint: 'e', level: 1, data: 1, timestamp: 'yesterday' },
      { endpoint: 'e', level: 1, data: 1, timestamp: -5 },
      { endpoint: 'e', level: 1, data: 'x'.repeat(9000) },
    ]
    for (const body of bad) {
      const r = await post(body)
      expect(r.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400)
      expect(r.json()).toMatchObject({ error: 'bad_request', message: expect.any(String) })
    }
    const huge = await post({ endpoint: 'e', level: 1, data: 'x'.repeat(40_000) })
    expect(huge.statusCode).toBe(413)
    expect(huge.json()).toMatchObject({ error: 'too_large' })
  })

  it('lists by endpoint and time range, with cursor pagination', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await post({ endpoint: 'pager', level: 3, data: { i }, timestamp: 1795000000 + i * 60 })).json().id)
    const all = (await get('/api/anomalies?endpoint=pager')).json()
    expect(all.items.map((x: { id: string }) => x.id)).toEqual(ids)
    expect(all.next).toBeUndefined()
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = (await get(`/api/anomalies?endpoint=pager&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map((x: { id: string }) => x.id))
      cursor = page.next
    } while (cursor)
    expect(seen).toEqual(ids)
    const range = (await get(`/api/anomalies?endpoint=pager&from=${encodeURIComponent(new Date(1795000060_000).toISOString())}&to=1795000180`)).json()
    expect(range.items.map((x: { id: string }) => x.id)).toEqual(ids.slice(1, 4))
    expect((await get('/api/anomalies?endpoint=nobody')).json()).toEqual({ items: [] })
    const everything = (await get('/api/anomalies?limit=1000')).json()
    expect(everything.items.length).toBeGreaterThanOrEqual(8)
  })

  it('refuses bad list queries with 400', async () => {
    for (const q of ['limit=0', 'limit=abc', 'from=yesterday', 'cursor=%21%21not-a-cursor']) {
      const r = await get(`/api/anomalies?${q}`)
      expect(r.statusCode, q).toBe(400)
      expect(r.json()).toMatchObject({ error: 'bad_request' })
    }
  })

  it('serves one anomaly with its verification: VALID with a proof once anchored', async () => {
    const { id } = (await post({ endpoint: 'sensor-3', level: 3, data: { temperature: 51 }, timestamp: 1795601000 })).json()
    await h.ledger.flush()
    const r = await get(`/api/anomalies/${id}`)
    expect(r.statusCode).toBe(200)
    const item = r.json()
    expect(item).toMatchObject({ id, status: 'anchored', verification: 'VALID', txHash: expect.stringMatching(/^0x/) })
    expect(item.proof).toMatchObject({ root: expect.stringMatching(/^0x[0-9a-f]{64}$/), index: expect.any(Number) })
    const listed = (await get('/api/anomalies?endpoint=sensor-3')).json().items[0]
    expect(listed).toMatchObject({ id, status: 'anchored', batchId: item.batchId })
    expect((await get('/api/anomalies/01NOSUCHANOMALY000000000000')).json()).toMatchObject({ error: 'not_found' })
  })
})
