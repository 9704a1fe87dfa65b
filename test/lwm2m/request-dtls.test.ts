/**
 * The request sender over DTLS: the device opens the session (a DTLS server cannot), and the
 * server reads and observes it through that very session; once the session is gone, requests
 * fail as RequestFailedError instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { ContentFormat as CF } from '../../src/lwm2m/content-format.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import { parsePath } from '../../src/lwm2m/path.js'
import { RequestFailedError } from '../../src/lwm2m/request/errors.js'
import { createRequestSender, type PeerContext, type RequestSender } from '../../src/lwm2m/request/sender.js'
import type { LwM2mResponse } from '../../src/lwm2m/request/types.js'
import { createCoapEndpoint, type CoapEndpoint } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import { createDtlsTransport } from '../../src/transport/dtls/index.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { FAST_TIMERS, givenFakeDevice, type FakeDevice } from './request-fake-device.js'

const models = loadDefaultModels()
const p = parsePath
const IDENTITY = 'request-dtls-device'
const KEY = new TextEncoder().encode('request-dtls-key')

describe('request sender over a DTLS session the device opened', () => {
  let server: CoapEndpoint
  let serverAddress: PeerAddress
  let sender: RequestSender
  const registered: Array<{ peer: PeerAddress; identity?: string }> = []

  beforeAll(async () => {
    server = createCoapEndpoint({
      transport: createDtlsTransport({ host: '127.0.0.1', port: 0, pskLookup: async (id) => (id === IDENTITY ? KEY : undefined), logger: silentLogger() }),
      logger: silentLogger(),
      ...FAST_TIMERS,
    })
    server.onRequest((_req, ctx) => {
      registered.push({ peer: ctx.peer, identity: ctx.identity })
      return { code: '2.01', locationPath: ['rd', 'x'] }
    })
    serverAddress = await server.start()
    sender = createRequestSender({ coap: server, models, logger: silentLogger() })
  })

  afterAll(async () => {
    await server?.stop()
  })

  async function givenRegisteredDevice(): Promise<{ device: FakeDevice; target: PeerContext }> {
    const device = await givenFakeDevice(models, { transport: createDtlsClientTransport({ peer: serverAddress, identity: IDENTITY, key: KEY }) })
    await device.endpoint.request(serverAddress, { method: 'POST', path: ['rd'], query: ['ep=dtls-dev', 'lwm2m=1.1'], contentFormat: CF.LINK, payload: '</3303/0>' })
    const reg = registered.at(-1)!
    expect(reg.identity).toBe(IDENTITY)
    return { device, target: { peer: reg.peer, endpoint: 'dtls-dev', lwm2mVersion: '1.1', contentFormats: [CF.SENML_CBOR, CF.TLV] } }
  }

  it('can read, write and observe a device through its session', async () => {
    const { device, target } = await givenRegisteredDevice()
    try {
      const read = await sender.send(target, { kind: 'read', path: p('/3303/0') })
      expect(read).toMatchObject({ code: 'CONTENT', success: true, format: CF.SENML_CBOR })
      expect(read.node).toEqual(device.instances.get(0))

      const write = await sender.send(target, { kind: 'write', mode: 'update', path: p('/3303/0'), node: { kind: 'instance', id: 0, resources: new Map([[5701, { kind: 'resource', id: 5701, type: 'string', value: 'Far' }]]) } })
      expect(write).toMatchObject({ code: 'CHANGED', success: true })

      const notifications: LwM2mResponse[] = []
      const obs = await sender.observe(target, { kind: 'observe', path: p('/3303/0/5700') }, (n) => notifications.push(n))
      expect(obs.active).toBe(true)
      await device.setTemperature(40)
      const deadline = Date.now() + 3000
      while (notifications.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(notifications[0]?.node).toEqual({ kind: 'resource', id: 5700, type: 'float', value: 40 })
      await obs.cancel()
    } finally {
      await device.stop()
    }
  })

  it('fails with RequestFailedError once the device closed its session', async () => {
    const { device, target } = await givenRegisteredDevice()
    await device.stop()
    // close_notify travels asynchronously: the server drops the session when it arrives.
    let err: unknown
    const deadline = Date.now() + 3000
    do {
      err = await sender.send(target, { kind: 'read', path: p('/3303/0') }, { timeoutMs: 500 }).catch((e: unknown) => e)
    } while (!(err instanceof RequestFailedError) && Date.now() < deadline)
    expect(err).toBeInstanceOf(RequestFailedError)
    // A request in flight when close_notify lands sees the session end; the next finds none.
    expect(['session-ended', 'no-session']).toContain((err as RequestFailedError).reason)
    const next = await sender.send(target, { kind: 'read', path: p('/3303/0') }).catch((e: unknown) => e)
    expect(next).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason: 'no-session' })
  })
})
