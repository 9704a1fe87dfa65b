import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { givenApiSystem, openEvents, type ApiSystem, type SseReader } from './devices-helpers.js'

describe('GET /api/events (Server-Sent Events)', () => {
  let sys: ApiSystem
  const readers: SseReader[] = []
  const open = async (query: string, headers?: Record<string, string>) => {
    const r = await openEvents(sys.base, query, headers)
    readers.push(r)
    return r
  }
  beforeAll(async () => {
    sys = await givenApiSystem()
  })
  afterAll(async () => {
    for (const r of readers) r.close()
    await sys?.stop()
  })

  it('refuses a stream without a token', async () => {
    const r = await open('')
    expect(r.status).toBe(401)
  })

  it('delivers registration, notification and anomaly events, with the token in the query', async () => {
    const all = await open(`?token=${sys.tokens.user}`)
    expect(all.status).toBe(200)
    const dev = await sys.device('sse-dev-1')
    const reg = await all.next((e) => e.event === 'registration' && e.data.endpoint === 'sse-dev-1')
    expect(reg.data).toMatchObject({ type: 'registration', registration: { endpoint: 'sse-dev-1', status: 'registered', lifetime: 300 } })

    const obs = await sys.call('POST', '/api/clients/sse-dev-1/3303/0/5700/observe', { role: 'application' })
    expect(obs.status).toBe(200)
    dev.temperature(33.5)
    const n = await all.next((e) => e.event === 'notification' && (e.data.values as Record<string, unknown>)['/3303/0/5700'] === 33.5)
    expect(n.data).toMatchObject({ endpoint: 'sse-dev-1', path: '/3303/0/5700', code: '2.05' })

    const posted = await sys.call('POST', '/api/anomalies', { role: 'application', body: { endpoint: 'sse-dev-1', level: 2, data: { why: 'test' }, timestamp: '2026-11-24T10:00:00Z' } })
    expect(posted.status).toBe(202)
    const { id } = (await posted.json()) as { id: string }
    const a = await all.next((e) => e.event === 'anomaly' && (e.data.anomaly as { id: string }).id === id)
    expect(a.data).toMatchObject({ endpoint: 'sse-dev-1', anomaly: { id, endpoint: 'sse-dev-1', level: 2, data: { why: 'test' } } })
  })

  it('filters by endpoint, and takes the token from the Authorization header too', async () => {
    const mine = await open('?endpoint=sse-dev-3', { authorization: `Bearer ${sys.tokens.admin}` })
    const other = await open('?endpoint=sse-dev-2,sse-dev-3', { authorization: `Bearer ${sys.tokens.application}` })
    expect(mine.status).toBe(200)
    await sys.device('sse-dev-2')
    await sys.device('sse-dev-3')
    await mine.next((e) => e.event === 'registration' && e.data.endpoint === 'sse-dev-3')
    await other.next((e) => e.event === 'registration' && e.data.endpoint === 'sse-dev-3')
    expect(other.received.some((e) => e.data.endpoint === 'sse-dev-2')).toBe(true)
    expect(mine.received.every((e) => e.data.endpoint === 'sse-dev-3')).toBe(true)
  })

  it('reports a de-registration', async () => {
    const r = await open(`?endpoint=sse-dev-4&token=${sys.tokens.admin}`)
    const dev = await sys.device('sse-dev-4')
    await dev.deregister()
    const e = await r.next((x) => x.event === 'deregistration')
    expect(e.data).toMatchObject({ endpoint: 'sse-dev-4', reason: 'deregistered' })
  })

  it('ends open streams cleanly when the server stops', async () => {
    const r = await open(`?token=${sys.tokens.admin}`)
    expect(r.status).toBe(200)
    expect(sys.server.rest!.streams.clients()).toBeGreaterThan(0)
    await sys.server.stop()
    await r.ended
  })
})
