import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { parseLinks, parseRegistrationLinks } from '../../src/lwm2m/link.js'
import type { ObjectInstanceNode, SingleResource } from '../../src/lwm2m/node.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, givenServer, models, psk, until, write, type FakeServer } from './fakes.js'

const dec = new TextDecoder()
let server: FakeServer
const devices: Device[] = []
const keys = ['dm-11', 'dm-10', 'dm-upd', 'dm-upd2', 'dm-stop', 'dm-404', 'dm-refused', 'dm-12', 'dm-oc'].map((ep) => psk(ep))

function device(ep: string, extra: Partial<Parameters<typeof createDevice>[0]> = {}): Device {
  const d = createDevice({ endpoint: ep, server: { uri: server.uri, ...psk(ep) }, models, timers: { ...FAST, retryDelayMs: 50 }, ...extra })
  devices.push(d)
  return d
}

beforeAll(async () => {
  server = await givenServer(keys)
})
afterAll(async () => {
  await Promise.allSettled(devices.map((d) => d.stop()))
  await server.stop()
})

function resource(node: ObjectInstanceNode, id: number): unknown {
  return (node.resources.get(id) as SingleResource | undefined)?.value
}

describe('device registration', () => {
  it('registers as LwM2M 1.1 with the root entry, ct and object versions', async () => {
    const d = device('dm-11')
    await d.start()
    const reg = server.reg('dm-11')!
    expect(reg.query).toEqual(['ep=dm-11', 'lt=300', 'lwm2m=1.1', 'b=U'])
    expect(reg.links).toBe('</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3/0>,</3303/0>')
    expect(parseRegistrationLinks(reg.links).contentFormats).toEqual([110])
  })

  it('registers as LwM2M 1.0 without root entry or versions', async () => {
    const d = device('dm-10', { lwm2mVersion: '1.0', lifetime: 120 })
    await d.start()
    const reg = server.reg('dm-10')!
    expect(reg.query).toEqual(['ep=dm-10', 'lt=120', 'lwm2m=1.0', 'b=U'])
    expect(reg.links).toBe('</1/0>,</3/0>,</3303/0>')
  })
})

describe('LwM2M 1.2 offer', () => {
  it('offers 1.2 first and registers as 1.1 after a 4.12', async () => {
    const d = device('dm-12', { offerLwm2m12: true })
    await d.start()
    const regs = server.seen.filter((s) => s.req.method === 'POST' && s.req.path.join('/') === 'rd' && s.req.query.includes('ep=dm-12'))
    expect(regs.map((s) => s.req.query.find((q) => q.startsWith('lwm2m=')))).toEqual(['lwm2m=1.2', 'lwm2m=1.1'])
    expect(server.reg('dm-12')?.query).toContain('lwm2m=1.1')
  })
})

describe('device management', () => {
  it('reads /3/0 in TLV by default', async () => {
    const res = await server.request('dm-11', { method: 'GET', path: ['3', '0'] })
    expect(res.code).toBe('2.05')
    expect(res.contentFormat).toBe(ContentFormat.TLV)
    const node = codecFor(ContentFormat.TLV).decode(res.payload, { objectId: 3, instanceId: 0 }, models) as ObjectInstanceNode
    expect(resource(node, 0)).toBe('lwchain')
    expect(resource(node, 1)).toBe('simulated')
    expect(resource(node, 2)).toBe('dm-11')
    expect(resource(node, 16)).toBe('U')
  })

  for (const format of [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.JSON]) {
    it(`reads /3/0 in format ${format} when asked`, async () => {
      const res = await server.request('dm-11', { method: 'GET', path: ['3', '0'], accept: format })
      expect(res.code).toBe('2.05')
      expect(res.contentFormat).toBe(format)
      const node = codecFor(format).decode(res.payload, { objectId: 3, instanceId: 0 }, models) as ObjectInstanceNode
      expect(resource(node, 0)).toBe('lwchain')
    })
  }

  it('reads a single resource as text, and answers 4.06 for formats it cannot give', async () => {
    const res = await server.request('dm-11', { method: 'GET', path: ['3303', '0', '5701'], accept: ContentFormat.TEXT })
    expect([res.code, dec.decode(res.payload)]).toEqual(['2.05', 'Cel'])
    expect((await server.request('dm-11', { method: 'GET', path: ['3', '0'], accept: ContentFormat.TEXT })).code).toBe('4.06')
    expect((await server.request('dm-10', { method: 'GET', path: ['3', '0'], accept: ContentFormat.SENML_JSON })).code).toBe('4.06')
  })

  it('answers 4.04 for unknown objects and instances, and 4.01 for the Security object', async () => {
    expect((await server.request('dm-11', { method: 'GET', path: ['3', '1'] })).code).toBe('4.04')
    expect((await server.request('dm-11', { method: 'GET', path: ['4', '0'] })).code).toBe('4.04')
    expect((await server.request('dm-11', { method: 'GET', path: ['0', '0'] })).code).toBe('4.01')
  })

  it('writes a writable resource, refuses a read-only one and a bad payload', async () => {
    const ok = await server.request('dm-11', { method: 'PUT', path: ['3', '0', '14'], contentFormat: ContentFormat.TEXT, payload: '+02:00' })
    expect(ok.code).toBe('2.04')
    const back = await server.request('dm-11', { method: 'GET', path: ['3', '0', '14'], accept: ContentFormat.TEXT })
    expect(dec.decode(back.payload)).toBe('+02:00')
    const ro = await server.request('dm-11', { method: 'PUT', path: ['3', '0', '0'], contentFormat: ContentFormat.TEXT, payload: 'x' })
    expect(ro.code).toBe('4.05')
    const bad = await server.request('dm-11', { method: 'PUT', path: ['3', '0', '14'], contentFormat: ContentFormat.TLV, payload: new Uint8Array([0xff]) })
    expect(bad.code).toBe('4.00')
  })

  it('partially updates a Server instance with POST', async () => {
    const node: ObjectInstanceNode = { kind: 'instance', id: 0, resources: new Map([[5, { kind: 'resource', id: 5, type: 'integer', value: 86400 }]]) }
    const res = await server.request('dm-11', { ...write('/1/0', node, ContentFormat.TLV), method: 'POST' })
    expect(res.code).toBe('2.04')
    const back = await server.request('dm-11', { method: 'GET', path: ['1', '0'] })
    const read = codecFor(ContentFormat.TLV).decode(back.payload, { objectId: 1, instanceId: 0 }, models) as ObjectInstanceNode
    expect(resource(read, 5)).toBe(86400)
    expect(resource(read, 7)).toBe('U')
  })

  it('executes executable resources only', async () => {
    const d = devices[0]
    d.temperature(30)
    expect((await server.request('dm-11', { method: 'POST', path: ['3303', '0', '5605'] })).code).toBe('2.04')
    const max = await server.request('dm-11', { method: 'GET', path: ['3303', '0', '5602'], accept: ContentFormat.TEXT })
    expect(dec.decode(max.payload)).toBe('30')
    expect((await server.request('dm-11', { method: 'POST', path: ['3', '0', '0'] })).code).toBe('4.05')
  })

  it('creates and deletes a Temperature instance; cannot create a second Device', async () => {
    const inst: ObjectInstanceNode = { kind: 'instance', id: 1, resources: new Map([[5701, { kind: 'resource', id: 5701, type: 'string', value: 'Far' }]]) }
    const created = await server.request('dm-11', { ...write('/3303', { kind: 'object', id: 3303, instances: new Map([[1, inst]]) }, ContentFormat.TLV), method: 'POST' })
    expect(created.code).toBe('2.01')
    expect(created.locationPath).toEqual(['3303', '1'])
    expect((await server.request('dm-11', { method: 'GET', path: ['3303', '1', '5701'], accept: ContentFormat.TEXT })).code).toBe('2.05')
    expect((await server.request('dm-11', { method: 'DELETE', path: ['3303', '1'] })).code).toBe('2.02')
    expect((await server.request('dm-11', { method: 'GET', path: ['3303', '1'] })).code).toBe('4.04')
    const dev: ObjectInstanceNode = { kind: 'instance', id: 1, resources: new Map() }
    const second = await server.request('dm-11', { method: 'POST', path: ['3'], contentFormat: ContentFormat.SENML_JSON, payload: '[{"bn":"/3/1/","n":"14","vs":"x"}]' })
    expect(second.code).toBe('4.05')
    void dev
  })

  it('discovers an instance with its resources and written attributes', async () => {
    const wa = await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=1', 'gt=40'] })
    expect(wa.code).toBe('2.04')
    const res = await server.request('dm-11', { method: 'GET', path: ['3303', '0'], accept: ContentFormat.LINK })
    expect(res.code).toBe('2.05')
    const links = parseLinks(dec.decode(res.payload))
    expect(links[0].target).toBe('/3303/0')
    const sensor = links.find((l) => l.target === '/3303/0/5700')
    expect(sensor?.attributes).toMatchObject({ pmin: 1, gt: 40 })
    expect(links.some((l) => l.target === '/3303/0/5605')).toBe(true)
    expect((await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=1', 'pmax=bad'] })).code).toBe('4.00')
    // Clear them for the observe test.
    expect((await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin', 'gt'] })).code).toBe('2.04')
  })

  it('notifies observers when the temperature changes, until cancelled', async () => {
    const d = devices[0]
    const seen: string[] = []
    const obs = await server.observe('dm-11', { method: 'GET', path: ['3303', '0', '5700'], observe: 0, accept: ContentFormat.TEXT }, (r) => seen.push(dec.decode(r.payload)))
    expect(obs.first.code).toBe('2.05')
    expect(obs.first.observe).toBeDefined()
    d.temperature(22.5)
    await until(() => seen.includes('22.5'))
    d.temperature(23.5)
    await until(() => seen.includes('23.5'))
    await obs.cancel()
    d.temperature(24.5)
    await new Promise((r) => setTimeout(r, 100))
    expect(seen).not.toContain('24.5')
  })

  it('respects gt: only crossings of the threshold notify', async () => {
    const d = devices[0]
    d.temperature(20)
    await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5700'], query: ['gt=30'] })
    const seen: string[] = []
    const obs = await server.observe('dm-11', { method: 'GET', path: ['3303', '0', '5700'], observe: 0, accept: ContentFormat.TEXT }, (r) => seen.push(dec.decode(r.payload)))
    d.temperature(21)
    d.temperature(31)
    await until(() => seen.includes('31'))
    expect(seen).toEqual(['31'])
    await obs.cancel()
    await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5700'], query: ['gt'] })
  })
})

describe('device notifications and events', () => {
  it('notifies at pmax even when nothing changes', async () => {
    await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5701'], query: ['pmax=1'] })
    const seen: string[] = []
    const obs = await server.observe('dm-11', { method: 'GET', path: ['3303', '0', '5701'], observe: 0, accept: ContentFormat.TEXT }, (r) => seen.push(dec.decode(r.payload)))
    await until(() => seen.length >= 2)
    expect(seen.slice(0, 2)).toEqual(['Cel', 'Cel'])
    await obs.cancel()
    await server.request('dm-11', { method: 'PUT', path: ['3303', '0', '5701'], query: ['pmax'] })
  })

  it('uses the server default pmax (/1/0/3) when no attribute is written', async () => {
    expect((await server.request('dm-10', { method: 'PUT', path: ['1', '0', '3'], contentFormat: ContentFormat.TEXT, payload: '1' })).code).toBe('2.04')
    const seen: string[] = []
    const obs = await server.observe('dm-10', { method: 'GET', path: ['3', '0', '0'], observe: 0, accept: ContentFormat.TEXT }, (r) => seen.push(dec.decode(r.payload)))
    await until(() => seen.length >= 1)
    expect(seen[0]).toBe('lwchain')
    await obs.cancel()
  })

  it('observes an instance in SenML JSON and notifies when one of its resources changes', async () => {
    const d = devices[0]
    const seen: string[] = []
    const obs = await server.observe('dm-11', { method: 'GET', path: ['3303', '0'], observe: 0, accept: ContentFormat.SENML_JSON }, (r) => seen.push(dec.decode(r.payload)))
    expect(obs.first.contentFormat).toBe(ContentFormat.SENML_JSON)
    d.temperature(-3.5)
    await until(() => seen.some((s) => s.includes('-3.5')))
    await obs.cancel()
  })

  it('reports each server request as a request event', async () => {
    const d = devices[0]
    const events: unknown[] = []
    d.on('request', (e) => events.push(e))
    await server.request('dm-11', { method: 'GET', path: ['3', '0', '0'], accept: ContentFormat.TEXT })
    await server.request('dm-11', { method: 'GET', path: ['77'] })
    expect(events).toEqual([
      { interface: 'server', kind: 'read', path: '/3/0/0', code: '2.05' },
      { interface: 'server', kind: 'read', path: '/77', code: '4.04' },
    ])
  })
})

describe('device lifecycle', () => {
  it('updates its registration before the lifetime runs out, and on Execute /1/0/8', async () => {
    const d = device('dm-upd', { lifetime: 1 })
    let updated = 0
    d.on('updated', () => updated++)
    await d.start()
    await until(() => (server.reg('dm-upd')?.updates ?? 0) >= 1 && updated >= 1)
    const before = server.reg('dm-upd')!.updates
    expect((await server.request('dm-upd', { method: 'POST', path: ['1', '0', '8'] })).code).toBe('2.04')
    await until(() => server.reg('dm-upd')!.updates > before)
  })

  it('announces a created instance and a new lifetime with an Update', async () => {
    const d = device('dm-upd2')
    await d.start()
    const reg = server.reg('dm-upd2')!
    const inst: ObjectInstanceNode = { kind: 'instance', id: 4, resources: new Map([[5701, { kind: 'resource', id: 5701, type: 'string', value: 'Cel' }]]) }
    expect((await server.request('dm-upd2', { ...write('/3303', { kind: 'object', id: 3303, instances: new Map([[4, inst]]) }, ContentFormat.TLV), method: 'POST' })).code).toBe('2.01')
    await until(() => reg.updates === 1)
    expect(reg.lastUpdate).toEqual({ query: [], links: '</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3/0>,</3303/0>,</3303/4>' })
    expect((await server.request('dm-upd2', { method: 'PUT', path: ['1', '0', '1'], contentFormat: ContentFormat.TEXT, payload: '600' })).code).toBe('2.04')
    await until(() => reg.updates === 2)
    expect(reg.lastUpdate).toEqual({ query: ['lt=600'], links: '' })
  })

  it('reports a refused update with the code the server gave', async () => {
    const d = device('dm-refused')
    await d.start()
    server.refuseUpdate = '4.00'
    try {
      await expect(d.update()).rejects.toMatchObject({ code: 'LWC_DEVICE_UPDATE_FAILED', coapCode: '4.00' })
    } finally {
      server.refuseUpdate = undefined
    }
  })

  it('registers again when an update is answered 4.04', async () => {
    const d = device('dm-404')
    await d.start()
    const first = server.reg('dm-404')!.id
    server.registrations.delete(first)
    await d.update()
    expect(server.reg('dm-404')?.id).not.toBe(first)
    expect(d.state).toBe('registered')
  })

  it('de-registers on stop()', async () => {
    const d = device('dm-stop')
    const events: string[] = []
    d.on('deregistered', () => events.push('deregistered'))
    await d.start()
    await d.stop()
    expect(server.deregistered).toContain('dm-stop')
    expect(server.reg('dm-stop')).toBeUndefined()
    expect(d.state).toBe('stopped')
    expect(events).toEqual(['deregistered'])
  })
})

describe('Observe-Composite (FETCH / with Observe 0, LwM2M 1.1 §6.4.3)', () => {
  const paths = '[{"n":"/3/0/0"},{"n":"/3303/0/5700"}]'
  const fetch = (observe: number) => ({ method: 'FETCH' as const, path: [], observe, contentFormat: ContentFormat.SENML_JSON, accept: ContentFormat.SENML_JSON, payload: paths })
  const valueOf = (payload: Uint8Array) => (JSON.parse(dec.decode(payload)) as Array<{ n?: string; bn?: string; v?: number }>).find((r) => (r.bn ?? '') + (r.n ?? '') === '/3303/0/5700')?.v

  it('notifies the values of all paths when one changes, not when another resource does, at pmax, and stops after the FETCH cancel', async () => {
    const d = device('dm-oc', { temperature: 20 })
    await d.start()
    const composite: Array<number | undefined> = []
    const obs = await server.observe('dm-oc', fetch(0), (r) => composite.push(valueOf(r.payload)))
    expect(obs.first.code).toBe('2.05')
    expect(obs.first.observe).toBeTypeOf('number')
    expect(valueOf(obs.first.payload)).toBe(20)
    expect(dec.decode(obs.first.payload)).toContain('"lwchain"')
    d.temperature(21)
    await until(() => composite.length === 1)
    // A resource outside the observed paths changes: no notification, as the next one shows.
    expect((await server.request('dm-oc', { method: 'PUT', path: ['3', '0', '14'], contentFormat: ContentFormat.TEXT, payload: '+01:00' })).code).toBe('2.04')
    d.temperature(22)
    await until(() => composite.length === 2)
    expect(composite).toEqual([21, 22])

    // pmax on one of the paths: notifications come with no change at all.
    await server.request('dm-oc', { method: 'PUT', path: ['3', '0', '0'], query: ['pmax=1'] })
    await until(() => composite.length >= 4)
    expect(composite.slice(2, 4)).toEqual([22, 22])
    await server.request('dm-oc', { method: 'PUT', path: ['3', '0', '0'], query: ['pmax'] })

    await obs.cancel()
    const after = composite.length
    // The marker: a single observation started after the cancel, and its notification of 23.
    const single: string[] = []
    const marker = await server.observe('dm-oc', { method: 'GET', path: ['3303', '0', '5700'], observe: 0, accept: ContentFormat.TEXT }, (r) => single.push(dec.decode(r.payload)))
    d.temperature(23)
    await until(() => single.includes('23'))
    expect(composite.length).toBe(after)
    await marker.cancel()
  })
})
