/**
 * POST /api/clients/{ep}/composite (Read-Composite, Write-Composite) against our simulated device
 * (Wakaama, the real client we test with, implements no composite operation: see
 * test/interop/wakaama-operations.test.ts), the Send event on GET /api/events, and the 400s.
 */
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { givenApiSystem, openEvents, type ApiSystem, type SseReader } from './devices-helpers.js'

describe('composite operations and Send through the REST API', () => {
  let sys: ApiSystem
  const readers: SseReader[] = []
  /** Every log line of the server (JSON), to check what a refusal leaves behind. */
  const logs: Array<Record<string, unknown>> = []
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) })
    sys = await givenApiSystem({ logger })
    await sys.device('cmp-1', 22.5)
    await sys.device('cmp-2', 19.5)
  })
  afterAll(async () => {
    for (const r of readers) r.close()
    await sys?.stop()
  })

  const composite = (body: unknown, role: 'admin' | 'user' = 'admin') => sys.call('POST', '/api/clients/cmp-1/composite', { role, body })

  it('reads several paths in one FETCH', async () => {
    const res = await composite({ paths: ['/3/0/0', '/3303/0/5700'], format: 'senml-json' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      endpoint: 'cmp-1',
      paths: ['/3/0/0', '/3303/0/5700'],
      code: '2.05',
      format: 'senml-json',
      values: { '/3/0/0': 'lwchain', '/3303/0/5700': 22.5 },
    })
    const cbor = await composite({ paths: ['/3303/0'] })
    expect(cbor.status).toBe(200)
    expect(((await cbor.json()) as { values: unknown }).values).toMatchObject({ '/3303/0/5700': 22.5 })
  })

  it('writes several resources in one iPATCH, then reads them back', async () => {
    const res = await composite({ values: { '/3/0/14': '+02:00', '/3/0/15': 'Europe/Paris' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ code: '2.04', paths: ['/3/0/14', '/3/0/15'] })
    const back = await composite({ paths: ['/3/0/14', '/3/0/15'] })
    expect(((await back.json()) as { values: unknown }).values).toEqual({ '/3/0/14': '+02:00', '/3/0/15': 'Europe/Paris' })
  })

  it('answers 400 to 1,000 paths, duplicate paths, both or neither of paths/values, and bad values', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `/3/0/${i}`)
    for (const body of [
      { paths: many },
      { paths: ['/3/0/0', '/3/0/0'] },
      { paths: ['/3/0/0', '3/0/0/'] },
      { paths: ['/'] },
      { paths: ['/3/x'] },
      {},
      { paths: ['/3/0/0'], values: { '/3/0/14': 'x' } },
      { values: { '/3/0': 'x' } },
      { values: { '/3/0/14': { nested: true } } },
    ]) {
      const res = await composite(body)
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'bad_request', message: expect.any(String) })
    }
    // Each refusal left one line saying why (paths, never values); the 1,000 paths and the duplicate among them.
    const refused = logs.filter((l) => l.msg === 'composite request refused')
    expect(refused).toHaveLength(9)
    expect(refused.every((l) => l.level === 30 && l.endpoint === 'cmp-1' && l.status === 400)).toBe(true)
    expect(String(refused[0]!.reason)).toMatch(/101|1000|at most/)
    expect(String(refused[1]!.reason)).toMatch(/named twice/)
    expect(JSON.stringify(refused)).not.toContain('nested')
    // Observe-Composite refuses the same way, with its own line.
    const observe = await sys.call('POST', '/api/clients/cmp-1/composite/observe', { role: 'admin', body: { paths: ['/3/0/13', '/3/0/13'] } })
    expect(observe.status).toBe(400)
    expect(logs.filter((l) => l.msg === 'composite request refused').slice(9)).toMatchObject([{ endpoint: 'cmp-1', status: 400, reason: expect.stringMatching(/named twice/) }])
    // No other device affected: the next device reads at once, and so does the one refused.
    const other = await sys.call('GET', '/api/clients/cmp-2/3303/0/5700', { role: 'admin' })
    expect(other.status).toBe(200)
    expect(((await other.json()) as { values: unknown }).values).toEqual({ '/3303/0/5700': 19.5 })
    expect((await composite({ paths: ['/3303/0/5700'] })).status).toBe(200)
    expect((await composite({ paths: ['/3/0/0'] }, 'user')).status).toBe(403)
    expect((await sys.call('POST', '/api/clients/nobody/composite', { role: 'admin', body: { paths: ['/3/0/0'] } })).status).toBe(404)
  })

  it('lists the route in OpenAPI', async () => {
    const doc = (await (await sys.call('GET', '/api/openapi.json', { role: 'admin' })).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toContain('/api/clients/{endpoint}/composite')
  })

  it('publishes a Send as event: send with the values and their times; a Send from an unregistered session gets 4.03', async () => {
    const events = await openEvents(sys.base, `?token=${sys.tokens.user}&endpoint=send-1`)
    readers.push(events)
    const d = await sys.silentDevice('send-1')
    const payload = '[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":31.5},{"n":"5700","v":32,"t":10}]'
    const res = await d.request({ method: 'POST', path: ['dp'], contentFormat: ContentFormat.SENML_JSON, payload })
    expect(res.code).toBe('2.04')
    const e = await events.next((x) => x.event === 'send')
    expect(e.data).toEqual({
      type: 'send',
      endpoint: 'send-1',
      values: [
        { path: '/3303/0/5700', value: 31.5, time: 1700000000 },
        { path: '/3303/0/5700', value: 32, time: 1700000010 },
      ],
    })
    expect((await d.request({ method: 'POST', path: ['dp'], contentFormat: ContentFormat.SENML_JSON, payload: '[{"n":' })).code).toBe('4.00')
    const stranger = await sys.silentDevice('send-2')
    await stranger.request({ method: 'DELETE', path: ['rd', sys.server.daemon.registrations.byEndpoint('send-2')!.id] })
    expect((await stranger.request({ method: 'POST', path: ['dp'], contentFormat: ContentFormat.SENML_JSON, payload })).code).toBe('4.03')
  })
})
