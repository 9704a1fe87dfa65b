/**
 * The request sender against a fake device over real UDP: two CoAP endpoints on 127.0.0.1:0, the
 * device answering with the device-side helpers, so both directions of the translator meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { ContentFormat as CF } from '../../src/lwm2m/content-format.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import { parsePath } from '../../src/lwm2m/path.js'
import { InvalidRequestError, RequestFailedError, RequestTimeoutError } from '../../src/lwm2m/request/errors.js'
import { createRequestSender, type PeerContext, type RequestSender } from '../../src/lwm2m/request/sender.js'
import type { LwM2mResponse } from '../../src/lwm2m/request/types.js'
import { createCoapEndpoint, type CoapEndpoint } from '../../src/transport/coap/index.js'
import { emptyMessage } from '../../src/transport/coap/message.js'
import { createDtlsTransport } from '../../src/transport/dtls/index.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import { givenRawPeer } from '../transport/coap-helpers.js'
import { FAST_TIMERS, GARBAGE_INSTANCE, givenFakeDevice, temperature, type FakeDevice } from './request-fake-device.js'

const models = loadDefaultModels()
const p = parsePath

function givenServerEndpoint(): CoapEndpoint {
  return createCoapEndpoint({ transport: createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() }), logger: silentLogger(), ...FAST_TIMERS })
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('request sender against a device over UDP', () => {
  let device: FakeDevice
  let server: CoapEndpoint
  let sender: RequestSender
  let v11: PeerContext
  let v10: PeerContext

  beforeAll(async () => {
    device = await givenFakeDevice(models)
    server = givenServerEndpoint()
    await server.start()
    sender = createRequestSender({ coap: server, models, logger: silentLogger() })
    v11 = { peer: device.address, lwm2mVersion: '1.1', contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] }
    v10 = { peer: device.address, lwm2mVersion: '1.0', contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] }
  })

  afterAll(async () => {
    await server?.stop()
    await device?.stop()
  })

  it('can read an instance in TLV', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p('/3303/0'), format: CF.TLV })
    expect(r).toMatchObject({ code: 'CONTENT', success: true, format: CF.TLV })
    expect(r.node).toEqual(device.instances.get(0))
  })

  it('can read an instance in SenML JSON and SenML CBOR', async () => {
    for (const format of [CF.SENML_JSON, CF.SENML_CBOR]) {
      const r = await sender.send(v11, { kind: 'read', path: p('/3303/0'), format })
      expect(r).toMatchObject({ success: true, format })
      expect(r.node).toEqual(device.instances.get(0))
    }
  })

  it('reads a 1.1 client in SenML CBOR when it lists it', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p('/3303/0/5700') })
    expect(device.received.at(-1)?.accept).toBe(CF.SENML_CBOR)
    expect(r).toMatchObject({ success: true, format: CF.SENML_CBOR, node: { kind: 'resource', id: 5700 } })
  })

  it('reads a 1.0 client in TLV whatever it lists', async () => {
    const r = await sender.send(v10, { kind: 'read', path: p('/3303/0') })
    expect(device.received.at(-1)?.accept).toBe(CF.TLV)
    expect(r).toMatchObject({ success: true, format: CF.TLV })
  })

  it('can read a whole object', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p('/3303') })
    expect(r.node?.kind).toBe('object')
  })

  it('can read a single resource as text when asked to', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p('/3303/0/5701'), format: CF.TEXT })
    expect(r).toMatchObject({ success: true, format: CF.TEXT, node: { kind: 'resource', id: 5701, value: 'Cel' } })
  })

  it('gets a missing instance as a 4.04 value, with the diagnostic message', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p('/3303/42') })
    expect(r).toMatchObject({ code: 'NOT_FOUND', coapCode: '4.04', success: false, errorMessage: '/3303/42 does not exist' })
  })

  it('reports an undecodable payload as unsuccessful instead of throwing', async () => {
    const r = await sender.send(v11, { kind: 'read', path: p(`/3303/${GARBAGE_INSTANCE}`) })
    expect(r.success).toBe(false)
    expect(r.code).toBe('CONTENT')
    expect(r.errorMessage).toMatch(/undecodable/)
    expect(r.node).toBeUndefined()
  })

  it('can write replace and write update', async () => {
    const update = await sender.send(v11, { kind: 'write', mode: 'update', path: p('/3303/0'), node: { kind: 'instance', id: 0, resources: new Map([[5701, { kind: 'resource', id: 5701, type: 'string', value: 'K' }]]) } })
    expect(update).toMatchObject({ code: 'CHANGED', success: true })
    expect(device.received.at(-1)).toMatchObject({ method: 'POST', contentFormat: CF.SENML_CBOR })
    expect([...device.instances.get(0)!.resources.keys()].sort()).toEqual([5700, 5701])

    const replace = await sender.send(v10, { kind: 'write', mode: 'replace', path: p('/3303/0'), node: temperature(0, 30, 'Cel') })
    expect(replace).toMatchObject({ code: 'CHANGED', success: true })
    expect(device.received.at(-1)).toMatchObject({ method: 'PUT', contentFormat: CF.TLV })
    expect(device.instances.get(0)).toEqual(temperature(0, 30, 'Cel'))
  })

  it('can execute with and without arguments', async () => {
    expect(await sender.send(v11, { kind: 'execute', path: p('/3303/0/5605') })).toMatchObject({ code: 'CHANGED', success: true })
    expect(await sender.send(v11, { kind: 'execute', path: p('/3303/0/5605'), args: "0='reset',1" })).toMatchObject({ success: true })
    expect(device.executed).toEqual([{ path: '/3303/0/5605' }, { path: '/3303/0/5605', args: "0='reset',1" }])
  })

  it('can create an instance and learns its location', async () => {
    const r = await sender.send(v11, { kind: 'create', path: p('/3303'), node: temperature(5, 18) })
    expect(r).toMatchObject({ code: 'CREATED', success: true, location: '/3303/5' })
    expect(device.instances.get(5)).toEqual(temperature(5, 18))
  })

  it('can create an instance whose id the device chooses', async () => {
    const next = Math.max(...device.instances.keys()) + 1
    const r = await sender.send(v11, { kind: 'create', path: p('/3303'), node: temperature(0, 12), clientChoosesId: true })
    expect(r).toMatchObject({ code: 'CREATED', success: true, location: `/3303/${next}` })
    expect(device.instances.get(next)).toEqual(temperature(next, 12))
    device.instances.delete(next)
  })

  it('can delete an instance, and gets 4.04 the second time', async () => {
    device.instances.set(6, temperature(6, 1))
    expect(await sender.send(v11, { kind: 'delete', path: p('/3303/6') })).toMatchObject({ code: 'DELETED', success: true })
    expect(await sender.send(v11, { kind: 'delete', path: p('/3303/6') })).toMatchObject({ code: 'NOT_FOUND', success: false })
  })

  it('can write attributes as a query without payload', async () => {
    const r = await sender.send(v11, { kind: 'writeAttributes', path: p('/3303/0/5700'), attributes: { pmin: 1, pmax: 60, st: 0.5 } })
    expect(r).toMatchObject({ code: 'CHANGED', success: true })
    const req = device.received.at(-1)!
    expect(req).toMatchObject({ method: 'PUT', query: ['pmin=1', 'pmax=60', 'st=0.5'] })
    expect(req.payload.length).toBe(0)
    expect(device.attributes.get('/3303/0/5700')).toEqual({ pmin: 1, pmax: 60, st: 0.5 })
  })

  it('can discover an object and gets its links', async () => {
    const r = await sender.send(v11, { kind: 'discover', path: p('/3303') })
    expect(device.received.at(-1)?.accept).toBe(CF.LINK)
    expect(r).toMatchObject({ code: 'CONTENT', success: true, format: CF.LINK })
    expect(r.links?.map((l) => l.target)).toContain('/3303/0')
    expect(r.links?.[0]).toEqual({ target: '/3303', attributes: { ver: '1.1' } })
  })

  it('puts the registration root path in front of the LwM2M path', async () => {
    const r = await sender.send({ ...v11, rootPath: '/lwm2m' }, { kind: 'read', path: p('/3303/0') })
    expect(device.received.at(-1)?.path).toEqual(['lwm2m', '3303', '0'])
    // The fake device has no alternate path: a 4.04 value, not an exception.
    expect(r).toMatchObject({ code: 'NOT_FOUND', success: false })
  })

  it('can observe, receives decoded notifications, and cancels', async () => {
    const notifications: LwM2mResponse[] = []
    const obs = await sender.observe(v11, { kind: 'observe', path: p('/3303/0/5700') }, (n) => notifications.push(n))
    expect(obs.active).toBe(true)
    expect(obs.response).toMatchObject({ code: 'CONTENT', success: true, format: CF.SENML_CBOR })
    expect(device.received.at(-1)?.observe).toBe(0)

    await device.setTemperature(22)
    await device.setTemperature(23.5)
    await until(() => notifications.length >= 2, 'two notifications')
    expect(notifications.map((n) => n.node)).toEqual([
      { kind: 'resource', id: 5700, type: 'float', value: 22 },
      { kind: 'resource', id: 5700, type: 'float', value: 23.5 },
    ])
    expect(notifications.every((n) => n.success && n.code === 'CONTENT')).toBe(true)

    await obs.cancel()
    const cancel = device.received.at(-1)!
    expect(cancel).toMatchObject({ method: 'GET', observe: 1, path: ['3303', '0', '5700'] })
    await until(() => device.observerCount() === 0, 'the relation to end')
    await device.setTemperature(24)
    expect(notifications).toHaveLength(2)
  })

  it('refuses a request it cannot build with InvalidRequestError, sending nothing', async () => {
    const before = device.received.length
    await expect(sender.send(v11, { kind: 'observe', path: p('/3303/0') })).rejects.toBeInstanceOf(InvalidRequestError)
    await expect(sender.send(v11, { kind: 'execute', path: p('/3303/0') })).rejects.toBeInstanceOf(InvalidRequestError)
    await expect(sender.send(v11, { kind: 'write', mode: 'replace', path: p('/3303/0/5700'), node: temperature(0, 1) })).rejects.toMatchObject({ code: 'LWC_INVALID_REQUEST' })
    expect(device.received.length).toBe(before)
  })

  it('observing something missing is a 4.04 value and no observation', async () => {
    const obs = await sender.observe(v11, { kind: 'observe', path: p('/3303/77') }, () => {})
    expect(obs.active).toBe(false)
    expect(obs.response).toMatchObject({ code: 'NOT_FOUND', success: false })
    await obs.cancel()
  })
})

describe('request sender transport failures', () => {
  it('rejects with RequestTimeoutError when the device does not answer', async () => {
    const gone = givenServerEndpoint()
    const peer = await gone.start()
    await gone.stop()
    const server = givenServerEndpoint()
    await server.start()
    try {
      const sender = createRequestSender({ coap: server, models })
      const err = await sender.send({ peer }, { kind: 'read', path: p('/3/0') }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestTimeoutError)
      expect(err).toMatchObject({ code: 'LWC_REQUEST_TIMEOUT' })
      expect((err as Error).cause).toMatchObject({ code: 'LWC_COAP_TIMEOUT' })
      const obsErr = await sender.observe({ peer }, { kind: 'observe', path: p('/3/0') }, () => {}).catch((e: unknown) => e)
      expect(obsErr).toBeInstanceOf(RequestTimeoutError)
    } finally {
      await server.stop()
    }
  })

  it('rejects with RequestTimeoutError when the device acknowledges but never answers', async () => {
    const slow = givenServerEndpoint()
    const peer = await slow.start()
    slow.onRequest(() => new Promise(() => {}))
    const server = givenServerEndpoint()
    await server.start()
    try {
      const sender = createRequestSender({ coap: server, models, timeoutMs: 300 })
      const err = await sender.send({ peer }, { kind: 'read', path: p('/3/0') }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestTimeoutError)
      // The per-request timeout overrides the sender's default.
      const patient = createRequestSender({ coap: server, models, timeoutMs: 60_000 })
      const err2 = await patient.send({ peer }, { kind: 'read', path: p('/3/0') }, { timeoutMs: 200 }).catch((e: unknown) => e)
      expect(err2).toBeInstanceOf(RequestTimeoutError)
    } finally {
      await server.stop()
      await slow.stop()
    }
  })

  it('rejects with RequestFailedError when the device answers with a Reset', async () => {
    const raw = await givenRawPeer()
    const server = givenServerEndpoint()
    await server.start()
    try {
      const sender = createRequestSender({ coap: server, models })
      const pending = sender.send({ peer: raw.address }, { kind: 'read', path: p('/3/0') }).catch((e: unknown) => e)
      const { msg, from } = await raw.next()
      raw.send(from, emptyMessage('RST', msg.messageId))
      const err = await pending
      expect(err).toBeInstanceOf(RequestFailedError)
      expect(err).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason: 'reset' })
    } finally {
      await server.stop()
      await raw.close()
    }
  })

  it('rejects with RequestFailedError when a DTLS server has no session with the device', async () => {
    const server = createCoapEndpoint({
      transport: createDtlsTransport({ host: '127.0.0.1', port: 0, pskLookup: async () => undefined, logger: silentLogger() }),
      logger: silentLogger(),
      ...FAST_TIMERS,
    })
    await server.start()
    try {
      const sender = createRequestSender({ coap: server, models })
      const err = await sender.send({ peer: { address: '127.0.0.1', port: 9 } }, { kind: 'read', path: p('/3/0') }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RequestFailedError)
      expect(err).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason: 'no-session' })
      const obsErr = await sender.observe({ peer: { address: '127.0.0.1', port: 9 } }, { kind: 'observe', path: p('/3/0') }, () => {}).catch((e: unknown) => e)
      expect(obsErr).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason: 'no-session' })
    } finally {
      await server.stop()
    }
  })

  it('rejects with RequestFailedError when its endpoint is closed', async () => {
    const server = givenServerEndpoint()
    await server.start()
    await server.stop()
    const sender = createRequestSender({ coap: server, models })
    const err = await sender.send({ peer: { address: '127.0.0.1', port: 9 } }, { kind: 'read', path: p('/3/0') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RequestFailedError)
    expect(err).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason: 'closed' })
  })
})
