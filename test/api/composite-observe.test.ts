/**
 * Observe-Composite (LwM2M 1.1 TS Core §6.4.3) through POST /api/clients/{ep}/composite/observe,
 * against our simulated device: the first values, a notification on GET /api/events when one of
 * the observed resources changes, the latest-values store, and the cancel (DELETE), after which no
 * composite notification comes (proved by a later marker notification, not by waiting).
 *
 * Not tested against Wakaama: its example client implements no composite operation (it leaves a
 * FETCH unanswered; see test/interop/wakaama-operations.test.ts), so our simulator is the only
 * device here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { givenApiSystem, openEvents, type ApiSystem, type SseEvent, type SseReader } from './devices-helpers.js'

describe('Observe-Composite through the REST API', () => {
  let sys: ApiSystem
  const readers: SseReader[] = []
  beforeAll(async () => {
    // No observation on registration: its first answer, recorded as a read, may come after
    // anything this test does when the machine is loaded, and the composite one is under test here.
    sys = await givenApiSystem({ observe: ['none'] })
  })
  afterAll(async () => {
    for (const r of readers) r.close()
    await sys?.stop()
  })

  const observe = (endpoint: string, body: unknown, role: 'admin' | 'user' | 'application' = 'application') =>
    sys.call('POST', `/api/clients/${endpoint}/composite/observe`, { role, body })
  const values = (e: SseEvent) => (e.data.values ?? {}) as Record<string, unknown>
  const isComposite = (e: SseEvent) => e.event === 'notification' && Array.isArray(e.data.paths)

  it('answers the values of both paths, notifies on SSE when one changes, and stops after DELETE', async () => {
    const events = await openEvents(sys.base, `?token=${sys.tokens.user}&endpoint=obc-1`)
    readers.push(events)
    const dev = await sys.device('obc-1', 20)
    const res = await observe('obc-1', { paths: ['/3/0/0', '/3303/0/5700'], format: 'senml-json' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { observationId: string }
    expect(body).toMatchObject({
      endpoint: 'obc-1',
      active: true,
      paths: ['/3/0/0', '/3303/0/5700'],
      code: '2.05',
      format: 'senml-json',
      values: { '/3/0/0': 'lwchain', '/3303/0/5700': 20 },
      observationId: expect.any(String),
    })

    dev.temperature(24.5)
    const n = await events.next((e) => isComposite(e) && values(e)['/3303/0/5700'] === 24.5)
    expect(n.data).toMatchObject({
      type: 'notification',
      endpoint: 'obc-1',
      path: '/3/0/0,/3303/0/5700',
      paths: ['/3/0/0', '/3303/0/5700'],
      code: '2.05',
      format: 'senml-json',
      values: { '/3/0/0': 'lwchain', '/3303/0/5700': 24.5 },
    })
    const latest = (await (await sys.call('GET', '/api/clients/obc-1/values', { role: 'user' })).json()) as { values: Record<string, { value: unknown; source: string }> }
    expect(latest.values['/3303/0/5700']).toMatchObject({ value: 24.5, source: 'notification' })

    const cancelled = await sys.call('DELETE', `/api/clients/obc-1/composite/observe/${body.observationId}`, { role: 'application' })
    expect(cancelled.status).toBe(200)
    expect(await cancelled.json()).toEqual({ endpoint: 'obc-1', observationId: body.observationId, paths: ['/3/0/0', '/3303/0/5700'], cancelled: true })
    expect((await sys.call('DELETE', `/api/clients/obc-1/composite/observe/${body.observationId}`, { role: 'application' })).status).toBe(404)

    // A change after the cancel, then a marker: a single-path observation started afterwards and
    // its notification. Had the composite relation survived, its notification of 30 would have
    // come before the marker (same device, same session, in order).
    dev.temperature(30)
    expect((await sys.call('POST', '/api/clients/obc-1/3303/0/5700/observe', { role: 'application' })).status).toBe(200)
    dev.temperature(31)
    const marker = await events.next((e) => e.event === 'notification' && e.data.path === '/3303/0/5700' && values(e)['/3303/0/5700'] === 31)
    const upToMarker = events.received.slice(0, events.received.indexOf(marker))
    expect(upToMarker.filter(isComposite).map((e) => values(e)['/3303/0/5700'])).toEqual([24.5])
  })

  it('observes in SenML CBOR when asked, and a composite of an instance gives all its resources', async () => {
    const events = await openEvents(sys.base, `?token=${sys.tokens.admin}&endpoint=obc-2`)
    readers.push(events)
    const dev = await sys.device('obc-2', 10)
    const res = await observe('obc-2', { paths: ['/3303/0', '/3/0/1'], format: 'senml-cbor' }, 'admin')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { format: string; values: Record<string, unknown>; observationId: string }
    expect(body.format).toBe('senml-cbor')
    expect(body.values).toMatchObject({ '/3303/0/5700': 10 })
    dev.temperature(11)
    const n = await events.next((e) => isComposite(e) && values(e)['/3303/0/5700'] === 11)
    expect(n.data).toMatchObject({ format: 'senml-cbor', paths: ['/3303/0', '/3/0/1'] })
    expect((await sys.call('DELETE', `/api/clients/obc-2/composite/observe/${body.observationId}`, { role: 'admin' })).status).toBe(200)
  })

  it('answers 400 to 1,000 paths, duplicates, the root and bad paths; 403 to plain users; 404 to unknown clients and ids', async () => {
    await sys.device('obc-3')
    const many = Array.from({ length: 1000 }, (_, i) => `/3/0/${i}`)
    for (const b of [{ paths: many }, { paths: ['/3/0/0', '/3/0/0'] }, { paths: ['/'] }, { paths: ['/3/x'] }, { paths: [] }, {}, { paths: ['/3/0/0'], format: 'tlv' }]) {
      const res = await observe('obc-3', b)
      expect(res.status, JSON.stringify(b).slice(0, 80)).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'bad_request', message: expect.any(String) })
    }
    const dup = (await (await observe('obc-3', { paths: ['/3/0/0', '/3/0/0'] })).json()) as { message: string }
    expect(dup.message).toMatch(/named twice/)
    expect((await observe('obc-3', { paths: ['/3/0/0'] }, 'user')).status).toBe(403)
    expect((await observe('nobody', { paths: ['/3/0/0'] })).status).toBe(404)
    expect((await sys.call('DELETE', '/api/clients/obc-3/composite/observe/nope', { role: 'admin' })).status).toBe(404)
    expect((await sys.call('DELETE', '/api/clients/obc-3/composite/observe/nope', { role: 'user' })).status).toBe(403)
  })

  it('lists both routes in OpenAPI', async () => {
    const doc = (await (await sys.call('GET', '/api/openapi.json', { role: 'admin' })).json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths['/api/clients/{endpoint}/composite/observe'] ?? {})).toContain('post')
    expect(Object.keys(doc.paths['/api/clients/{endpoint}/composite/observe/{id}'] ?? {})).toContain('delete')
  })
})
