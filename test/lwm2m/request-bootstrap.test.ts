/**
 * The bootstrap requests through the sender against a device over UDP that decodes them with the
 * device-side helpers in bootstrap mode: delete, discover, write Security and Server, read, finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { ContentFormat as CF } from '../../src/lwm2m/content-format.js'
import type { Link } from '../../src/lwm2m/link.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import type { ObjectInstanceNode, ObjectNode, ResourceNode } from '../../src/lwm2m/node.js'
import { formatPath, parsePath } from '../../src/lwm2m/path.js'
import { isRequestParseError, negotiateFormat, parseLwM2mRequest, toCoapResponse } from '../../src/lwm2m/request/device-side.js'
import { createRequestSender, type PeerContext, type RequestSender } from '../../src/lwm2m/request/sender.js'
import type { LwM2mRequest } from '../../src/lwm2m/request/types.js'
import { createCoapEndpoint, type CoapEndpoint, type CoapResponseInit } from '../../src/transport/coap/index.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import { FAST_TIMERS } from './request-fake-device.js'

const models = loadDefaultModels()
const p = parsePath

function instance(id: number, resources: ResourceNode[]): ObjectInstanceNode {
  return { kind: 'instance', id, resources: new Map(resources.map((r) => [r.id, r])) }
}

/** Security instance of an LwM2M server reached with PSK (TS Core E.1). */
function serverSecurity(id: number, key: Uint8Array): ObjectInstanceNode {
  return instance(id, [
    { kind: 'resource', id: 0, type: 'string', value: 'coaps://127.0.0.1:5684' },
    { kind: 'resource', id: 1, type: 'boolean', value: false },
    { kind: 'resource', id: 2, type: 'integer', value: 0 },
    { kind: 'resource', id: 3, type: 'opaque', value: new TextEncoder().encode('device-1') },
    { kind: 'resource', id: 5, type: 'opaque', value: key },
    { kind: 'resource', id: 10, type: 'integer', value: 101 },
  ])
}

function serverInstance(id: number): ObjectInstanceNode {
  return instance(id, [
    { kind: 'resource', id: 0, type: 'integer', value: 101 },
    { kind: 'resource', id: 1, type: 'unsigned', value: 300 },
    { kind: 'resource', id: 6, type: 'boolean', value: false },
    { kind: 'resource', id: 7, type: 'string', value: 'U' },
  ])
}

/** A device in its bootstrap phase: objects 0 and 1, instance /0/0 being the bootstrap server's. */
async function givenBootstrappingDevice() {
  const endpoint: CoapEndpoint = createCoapEndpoint({ transport: createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() }), logger: silentLogger(), ...FAST_TIMERS })
  const objects = new Map<number, Map<number, ObjectInstanceNode>>([
    [0, new Map([[0, instance(0, [{ kind: 'resource', id: 1, type: 'boolean', value: true }])], [7, serverSecurity(7, new Uint8Array([9]))]])],
    [1, new Map([[3, serverInstance(3)]])],
  ])
  const requests: LwM2mRequest[] = []
  let finished = false
  const answer = (req: LwM2mRequest): CoapResponseInit => {
    if (req.kind === 'bootstrapFinish') {
      finished = true
      return { code: '2.04' }
    }
    if (req.kind === 'readComposite' || req.kind === 'writeComposite' || req.kind === 'observeComposite') return { code: '4.05' }
    const path = req.path
    switch (req.kind) {
      case 'bootstrapDelete':
        for (const [oid, insts] of objects) {
          if (path.objectId !== undefined && path.objectId !== oid) continue
          for (const iid of [...insts.keys()]) {
            if (path.instanceId !== undefined && path.instanceId !== iid) continue
            // The bootstrap server's own Security instance survives (TS Core §6.1.7.5).
            if (oid === 0 && insts.get(iid)!.resources.get(1)?.kind === 'resource' && (insts.get(iid)!.resources.get(1) as { value: unknown }).value === true) continue
            insts.delete(iid)
          }
        }
        return toCoapResponse({ code: 'DELETED' }, path, models)
      case 'bootstrapWrite': {
        const insts = objects.get(path.objectId!) ?? new Map<number, ObjectInstanceNode>()
        objects.set(path.objectId!, insts)
        const written = req.node.kind === 'object' ? [...req.node.instances.values()] : req.node.kind === 'instance' ? [req.node] : []
        for (const inst of written) insts.set(inst.id, inst)
        return toCoapResponse({ code: 'CHANGED' }, path, models)
      }
      case 'bootstrapDiscover': {
        const links: Link[] = [{ target: '/', attributes: { lwm2m: '1.1' } }]
        for (const [oid, insts] of objects) {
          if (path.objectId !== undefined && path.objectId !== oid) continue
          if (insts.size === 0) links.push({ target: `/${oid}`, attributes: {} })
          for (const iid of insts.keys()) links.push({ target: `/${oid}/${iid}`, attributes: {} })
        }
        return toCoapResponse({ code: 'CONTENT', links }, path, models)
      }
      case 'bootstrapRead': {
        const insts = objects.get(path.objectId!)
        if (!insts || path.objectId !== 1) return toCoapResponse({ code: 'BAD_REQUEST', errorMessage: `cannot read ${formatPath(path)}` }, path, models)
        const format = negotiateFormat(req.format, [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR])
        if (format === undefined) return toCoapResponse({ code: 'NOT_ACCEPTABLE' }, path, models)
        const node: ObjectNode = { kind: 'object', id: 1, instances: new Map(insts) }
        return toCoapResponse({ code: 'CONTENT', node: path.instanceId === undefined ? node : insts.get(path.instanceId), format }, path, models)
      }
      default:
        return toCoapResponse({ code: 'METHOD_NOT_ALLOWED' }, path, models)
    }
  }
  endpoint.onRequest((req) => {
    const parsed = parseLwM2mRequest(req, { models, bootstrap: true })
    if (isRequestParseError(parsed)) return toCoapResponse({ code: parsed.error, errorMessage: parsed.message }, {}, models)
    requests.push(parsed)
    return answer(parsed)
  })
  const address = await endpoint.start()
  return { address, objects, requests, finished: () => finished, stop: () => endpoint.stop() }
}

describe('bootstrap requests against a device over UDP', () => {
  let device: Awaited<ReturnType<typeof givenBootstrappingDevice>>
  let bsServer: CoapEndpoint
  let sender: RequestSender

  beforeAll(async () => {
    device = await givenBootstrappingDevice()
    bsServer = createCoapEndpoint({ transport: createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() }), logger: silentLogger(), ...FAST_TIMERS })
    await bsServer.start()
    sender = createRequestSender({ coap: bsServer, models })
  })

  afterAll(async () => {
    await bsServer?.stop()
    await device?.stop()
  })

  const runs: Array<[string, () => PeerContext, number]> = [
    ['a 1.0 client in TLV', () => ({ peer: device.address, lwm2mVersion: '1.0' }), CF.TLV],
    ['a client that asked for SenML JSON (pct=110)', () => ({ peer: device.address, lwm2mVersion: '1.1', contentFormats: [CF.SENML_JSON] }), CF.SENML_JSON],
    ['a client that asked for SenML CBOR (pct=112)', () => ({ peer: device.address, lwm2mVersion: '1.1', contentFormats: [CF.SENML_CBOR] }), CF.SENML_CBOR],
  ]

  for (const [name, target, format] of runs) {
    it(`can bootstrap ${name}`, async () => {
      const key = new Uint8Array([0x00, 0x11, 0xfe, 0xff, 0x42])
      const bs = target()
      expect(await sender.send(bs, { kind: 'bootstrapDelete', path: {} })).toMatchObject({ code: 'DELETED', success: true })
      expect([...device.objects.get(0)!.keys()]).toEqual([0])
      expect(device.objects.get(1)!.size).toBe(0)

      const discovered = await sender.send(bs, { kind: 'bootstrapDiscover', path: {} })
      expect(discovered.links?.map((l) => l.target)).toEqual(['/', '/0/0', '/1'])

      expect(await sender.send(bs, { kind: 'bootstrapWrite', path: p('/0/1'), node: serverSecurity(1, key) })).toMatchObject({ code: 'CHANGED', success: true })
      expect(await sender.send(bs, { kind: 'bootstrapWrite', path: p('/1/0'), node: serverInstance(0) })).toMatchObject({ code: 'CHANGED', success: true })
      expect(device.requests.at(-1)).toMatchObject({ kind: 'bootstrapWrite', format })
      expect(device.objects.get(0)!.get(1)).toEqual(serverSecurity(1, key))
      expect(device.objects.get(1)!.get(0)).toEqual(serverInstance(0))

      const read = await sender.send(bs, { kind: 'bootstrapRead', path: p('/1') })
      expect(read).toMatchObject({ code: 'CONTENT', success: true, format })
      expect(read.node).toEqual({ kind: 'object', id: 1, instances: new Map([[0, serverInstance(0)]]) })

      expect(await sender.send(bs, { kind: 'bootstrapFinish' })).toMatchObject({ code: 'CHANGED', success: true })
      expect(device.finished()).toBe(true)
    })
  }

  it('can bootstrap-write a whole object at once', async () => {
    const node: ObjectNode = { kind: 'object', id: 1, instances: new Map([[4, serverInstance(4)], [5, serverInstance(5)]]) }
    const r = await sender.send({ peer: device.address, lwm2mVersion: '1.0' }, { kind: 'bootstrapWrite', path: p('/1'), node })
    expect(r.success).toBe(true)
    expect(device.objects.get(1)!.get(5)).toEqual(serverInstance(5))
  })

  it('gets a refused bootstrap read as a value', async () => {
    const r = await sender.send({ peer: device.address }, { kind: 'bootstrapRead', path: p('/0') })
    expect(r).toMatchObject({ code: 'BAD_REQUEST', success: false, errorMessage: 'cannot read /0' })
  })
})
