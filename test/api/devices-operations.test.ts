import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codecFor, flattenNode } from '../../src/lwm2m/codec/index.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import { parsePath } from '../../src/lwm2m/path.js'
import type { Device } from '../../src/simulator/device.js'
import { givenApiSystem, ROLES, type ApiSystem, type RoleName } from './devices-helpers.js'

// Response bodies are checked by the assertions themselves.
const jsonOf = async (r: Response) => (await r.json()) as Record<string, any>

describe('REST device operations on a real server and device', () => {
  let sys: ApiSystem
  let dev: Device
  beforeAll(async () => {
    sys = await givenApiSystem({ requestTimeoutMs: 1_500 })
    dev = await sys.device('api-dev-1')
  })
  afterAll(async () => {
    await sys?.stop()
  })

  it('lists registered devices with their registration, and provisioned ones', async () => {
    await sys.provision('api-idle')
    const res = await sys.call('GET', '/api/clients', { role: 'user' })
    expect(res.status).toBe(200)
    const { items } = (await jsonOf(res)) as { items: Array<Record<string, unknown>> }
    const reg = items.find((i) => i.endpoint === 'api-dev-1')!
    expect(reg).toMatchObject({ status: 'registered', lifetime: 300, lwm2mVersion: '1.1' })
    expect(Date.parse(reg.registeredAt as string)).toBeGreaterThan(0)
    expect(Date.parse(reg.lastUpdate as string)).toBeGreaterThan(0)
    expect(reg.objectLinks).toEqual(expect.arrayContaining(['/3/0', '/3303/0']))
    expect(items.find((i) => i.endpoint === 'api-idle')).toEqual({ endpoint: 'api-idle', status: 'provisioned' })
  })

  it('reads a resource and an instance as flat JSON, in the format asked for', async () => {
    const res = await sys.call('GET', '/api/clients/api-dev-1/3303/0/5700', { role: 'application' })
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toMatchObject({ endpoint: 'api-dev-1', path: '/3303/0/5700', code: '2.05', values: { '/3303/0/5700': 21.5 } })
    for (const format of ['tlv', 'senml-json', 'senml-cbor', 'lwm2m-json'] as const) {
      const r = await sys.call('GET', `/api/clients/api-dev-1/3/0?format=${format}`, { role: 'admin' })
      expect(r.status, format).toBe(200)
      const body = (await jsonOf(r)) as { format: string; values: Record<string, unknown> }
      expect(body.format).toBe(format)
      expect(body.values['/3/0/0']).toEqual(expect.any(String))
    }
    const text = await sys.call('GET', '/api/clients/api-dev-1/3303/0/5701?format=text', { role: 'admin' })
    expect(await jsonOf(text)).toMatchObject({ format: 'text', values: { '/3303/0/5701': 'Cel' } })
  })

  it('answers the bytes of an LwM2M media type named in Accept', async () => {
    const text = await sys.call('GET', '/api/clients/api-dev-1/3303/0/5701', { role: 'admin', headers: { accept: 'text/plain' } })
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await text.text()).toBe('Cel')
    const tlv = await sys.call('GET', '/api/clients/api-dev-1/3303/0', { role: 'admin', headers: { accept: 'application/vnd.oma.lwm2m+tlv' } })
    expect(tlv.headers.get('content-type')).toBe('application/vnd.oma.lwm2m+tlv')
    const node = codecFor(11542).decode(new Uint8Array(await tlv.arrayBuffer()), parsePath('/3303/0'), loadDefaultModels())
    expect(flattenNode(node, parsePath('/3303/0'))['/3303/0/5701']).toBe('Cel')
    const senml = await sys.call('GET', '/api/clients/api-dev-1/3303/0/5700', { role: 'admin', headers: { accept: 'application/senml+json' } })
    expect(senml.headers.get('content-type')).toMatch(/^application\/senml\+json/)
    expect(JSON.parse(await senml.text())).toEqual([{ bn: '/3303/0/5700', v: 21.5 }])
  })

  it('writes a resource from path → value JSON and reads it back', async () => {
    const w = await sys.call('PUT', '/api/clients/api-dev-1/1/0/1', { role: 'application', body: { '/1/0/1': 120 } })
    expect(w.status).toBe(200)
    expect((await jsonOf(w)).code).toBe('2.04')
    const r = await sys.call('GET', '/api/clients/api-dev-1/1/0/1', { role: 'application' })
    expect((await jsonOf(r)).values).toEqual({ '/1/0/1': 120 })
  })

  it('updates an instance partially with ?mode=update', async () => {
    const w = await sys.call('PUT', '/api/clients/api-dev-1/1/0?mode=update', { role: 'admin', body: { '/1/0/1': 150 } })
    expect(w.status).toBe(200)
    const r = await sys.call('GET', '/api/clients/api-dev-1/1/0/1', { role: 'admin' })
    expect((await jsonOf(r)).values).toEqual({ '/1/0/1': 150 })
  })

  it('executes a resource with text arguments', async () => {
    dev.temperature(30)
    dev.temperature(20)
    const e = await sys.call('POST', '/api/clients/api-dev-1/3303/0/5605', { role: 'application', text: '' })
    expect(e.status).toBe(200)
    expect((await jsonOf(e)).code).toBe('2.04')
  })

  it('creates an instance on an object, then deletes it', async () => {
    const c = await sys.call('POST', '/api/clients/api-dev-1/3303', { role: 'admin', body: { '/3303/7/5700': 18.5, '/3303/7/5701': 'Cel' } })
    expect(c.status).toBe(201)
    expect(await jsonOf(c)).toMatchObject({ code: '2.01', location: '/3303/7' })
    const r = await sys.call('GET', '/api/clients/api-dev-1/3303/7/5700', { role: 'admin' })
    expect((await jsonOf(r)).values).toEqual({ '/3303/7/5700': 18.5 })
    const d = await sys.call('DELETE', '/api/clients/api-dev-1/3303/7', { role: 'application' })
    expect(d.status).toBe(200)
    expect((await jsonOf(d)).code).toBe('2.02')
    expect((await sys.call('GET', '/api/clients/api-dev-1/3303/7', { role: 'admin' })).status).toBe(404)
  })

  it('discovers an object as links', async () => {
    const res = await sys.call('GET', '/api/clients/api-dev-1/3303/discover', { role: 'admin' })
    expect(res.status).toBe(200)
    const body = (await jsonOf(res)) as { linkFormat: string; links: Array<{ target: string }> }
    expect(body.links.map((l) => l.target)).toEqual(expect.arrayContaining(['/3303', '/3303/0']))
    expect(body.linkFormat).toContain('</3303/0>')
  })

  it('writes attributes, observes, and cancels the observation', async () => {
    const a = await sys.call('PUT', '/api/clients/api-dev-1/3303/0/5700/attributes', { role: 'application', body: { pmin: 0, gt: 40 } })
    expect(a.status).toBe(200)
    const o = await sys.call('POST', '/api/clients/api-dev-1/3303/0/5700/observe', { role: 'application' })
    expect(o.status).toBe(200)
    expect(await jsonOf(o)).toMatchObject({ active: true, values: { '/3303/0/5700': expect.any(Number) } })
    expect(sys.server.rest!.observations.get('api-dev-1', '/3303/0/5700')).toBeDefined()
    const c = await sys.call('DELETE', '/api/clients/api-dev-1/3303/0/5700/observe', { role: 'application' })
    expect(c.status).toBe(200)
    expect((await sys.call('DELETE', '/api/clients/api-dev-1/3303/0/5700/observe', { role: 'application' })).status).toBe(404)
  })

  it('answers 404 not_found for an unknown endpoint instead of crashing', async () => {
    for (const [method, path] of [
      ['GET', '/api/clients/nobody/3/0'],
      ['PUT', '/api/clients/nobody/3/0/14'],
      ['GET', '/api/clients/nobody/3/discover'],
      ['POST', '/api/clients/nobody/3/0/0/observe'],
      ['GET', '/api/clients/nobody'],
    ] as const) {
      const res = await sys.call(method, path, { role: 'admin', ...(method === 'PUT' && { body: { '/3/0/14': '+01' } }) })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect((await jsonOf(res)).error).toBe('not_found')
    }
    expect((await sys.call('GET', '/api/health')).status).toBe(200)
  })

  it('maps LwM2M error codes to HTTP statuses', async () => {
    const missing = await sys.call('GET', '/api/clients/api-dev-1/3303/9/5700', { role: 'admin' })
    expect(missing.status).toBe(404)
    expect(await jsonOf(missing)).toMatchObject({ error: 'not_found', message: expect.stringContaining('4.04') })
    const readOnly = await sys.call('PUT', '/api/clients/api-dev-1/3/0/0', { role: 'admin', body: { '/3/0/0': 'x' } })
    expect(readOnly.status).toBe(405)
    expect((await jsonOf(readOnly)).error).toBe('method_not_allowed')
  })

  it('refuses malformed requests with 400 bad_request', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['GET', '/api/clients/api-dev-1/3/0?format=xml', undefined],
      ['GET', '/api/clients/api-dev-1/70000', undefined],
      ['PUT', '/api/clients/api-dev-1/1/0/1', { '/1/0/1': 'not a number' }],
      ['PUT', '/api/clients/api-dev-1/1/0/1', { 'not-a-path': 1 }],
      ['PUT', '/api/clients/api-dev-1/3303/0/5700/attributes', { foo: 1 }],
      ['POST', '/api/clients/api-dev-1/3303', [1, 2]],
    ]
    for (const [method, path, body] of cases) {
      const res = await sys.call(method, path, { role: 'admin', ...(body !== undefined && { body }) })
      expect(res.status, `${method} ${path}`).toBe(400)
      expect((await jsonOf(res)).error).toBe('bad_request')
    }
  })

  it('answers 504 device_timeout when a registered device stops answering', async () => {
    await sys.silentDevice('api-silent')
    const res = await sys.call('GET', '/api/clients/api-silent/3/0', { role: 'admin' })
    expect(res.status).toBe(504)
    expect(await jsonOf(res)).toMatchObject({ error: 'device_timeout', message: expect.any(String) })
  })

  describe('role enforcement', () => {
    const expectStatus = async (method: string, path: string, who: RoleName | 'none', expected: number, body?: unknown) => {
      const res = await sys.call(method, path, { ...(who !== 'none' && { role: who }), ...(body !== undefined && { body }) })
      expect(res.status, `${who} ${method} ${path}`).toBe(expected)
      if (expected >= 400) expect(Object.keys(await jsonOf(res)).sort()).toEqual(['error', 'message'])
      else await res.arrayBuffer()
    }
    const operations: Array<[string, string, unknown?]> = [
      ['GET', '/api/clients/api-dev-1/3/0/0'],
      ['PUT', '/api/clients/api-dev-1/1/0/1', { '/1/0/1': 300 }],
      ['POST', '/api/clients/api-dev-1/3303/0/5605'],
      ['GET', '/api/clients/api-dev-1/3/discover'],
      ['PUT', '/api/clients/api-dev-1/3303/0/5700/attributes', { pmax: 60 }],
      ['POST', '/api/clients/api-dev-1/3/0/0/observe'],
      ['DELETE', '/api/clients/api-dev-1/3/0/0/observe'],
    ]

    it('lets every role list devices, and nobody without a token', async () => {
      for (const role of ROLES) await expectStatus('GET', '/api/clients', role, 200)
      await expectStatus('GET', '/api/clients', 'none', 401)
      await expectStatus('GET', '/api/clients/api-dev-1', 'user', 200)
      await expectStatus('GET', '/api/clients/api-dev-1', 'none', 401)
    })

    it('lets admin and application operate devices; user gets 403 and no token 401', async () => {
      // In order per role: each observe is cancelled by the DELETE that follows it.
      for (const role of ['admin', 'application'] as const) for (const [method, path, body] of operations) await expectStatus(method, path, role, 200, body)
      for (const [method, path, body] of operations) {
        await expectStatus(method, path, 'user', 403, body)
        await expectStatus(method, path, 'none', 401, body)
      }
      await expectStatus('POST', '/api/clients/api-dev-1/3303', 'user', 403, { '/3303/8/5700': 1 })
      await expectStatus('DELETE', '/api/clients/api-dev-1/3303/8', 'user', 403)
      await expectStatus('DELETE', '/api/clients/api-dev-1/3303/8', 'none', 401)
    })

    it('refuses a forged token', async () => {
      const forged = sys.tokens.user.replace(/\.[^.]+$/, '.AAAA')
      const res = await sys.call('GET', '/api/clients', { token: forged })
      expect(res.status).toBe(401)
    })
  })
})
