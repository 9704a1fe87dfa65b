/**
 * A tiny LwM2M device for the request-layer tests: a real CoAP endpoint over UDP on 127.0.0.1:0
 * that answers with the device-side helpers from a hand-built node tree (Temperature /3303).
 */
import { silentLogger } from '../../src/logger.js'
import { ContentFormat as CF } from '../../src/lwm2m/content-format.js'
import type { Link } from '../../src/lwm2m/link.js'
import type { NotificationAttributes } from '../../src/lwm2m/attributes.js'
import type { ModelRegistry } from '../../src/lwm2m/model.js'
import type { LwM2mNode, ObjectInstanceNode, ResourceNode } from '../../src/lwm2m/node.js'
import { formatPath, pathLevel, type LwM2mPath } from '../../src/lwm2m/path.js'
import { isRequestParseError, negotiateFormat, parseLwM2mRequest, toCoapResponse } from '../../src/lwm2m/request/device-side.js'
import type { LwM2mRequest } from '../../src/lwm2m/request/types.js'
import { createCoapEndpoint, type CoapEndpoint, type CoapObserveRelation, type CoapRequest, type CoapResponseInit } from '../../src/transport/coap/index.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import type { DatagramTransport, PeerAddress } from '../../src/transport/types.js'

/** Short CoAP timers so timeouts end quickly. */
export const FAST_TIMERS = { ackTimeoutMs: 40, ackRandomFactor: 1.2, maxRetransmit: 2, piggybackDelayMs: 100, responseTimeoutMs: 2000, exchangeLifetimeMs: 10_000 }

/** Instance 99 of /3303 answers reads with bytes no codec decodes. */
export const GARBAGE_INSTANCE = 99

export interface FakeDevice {
  readonly address: PeerAddress
  readonly endpoint: CoapEndpoint
  /** Every CoAP request received, in order. */
  readonly received: CoapRequest[]
  /** Every LwM2M request the device decoded, in order. */
  readonly requests: LwM2mRequest[]
  readonly executed: Array<{ path: string; args?: string }>
  readonly attributes: Map<string, NotificationAttributes>
  readonly instances: Map<number, ObjectInstanceNode>
  /** Sets 3303/0/5700 and notifies the observers of /3303/0/5700 and /3303/0. */
  setTemperature(value: number): Promise<void>
  observerCount(): number
  stop(): Promise<void>
}

interface Observer {
  relation: CoapObserveRelation
  path: LwM2mPath
  format: number
}

/** A /3303 instance with a value and unit. */
export function temperature(id: number, value: number, unit = 'Cel'): ObjectInstanceNode {
  const resources: ResourceNode[] = [
    { kind: 'resource', id: 5700, type: 'float', value },
    { kind: 'resource', id: 5701, type: 'string', value: unit },
  ]
  return { kind: 'instance', id, resources: new Map(resources.map((r) => [r.id, r])) }
}

export interface FakeDeviceOptions {
  /** Content formats the device answers in. */
  supported?: readonly number[]
  /** Its transport: UDP on 127.0.0.1:0 by default, or a DTLS client transport. */
  transport?: DatagramTransport
}

/** Starts a fake device (its endpoint started: over DTLS, the handshake is done). */
export async function givenFakeDevice(models: ModelRegistry, options: FakeDeviceOptions = {}): Promise<FakeDevice> {
  const supported = options.supported ?? [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR, CF.TEXT]
  const transport = options.transport ?? createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() })
  const endpoint = createCoapEndpoint({ transport, logger: silentLogger(), ...FAST_TIMERS })
  const instances = new Map<number, ObjectInstanceNode>([[0, temperature(0, 21.5)]])
  const received: CoapRequest[] = []
  const requests: LwM2mRequest[] = []
  const executed: FakeDevice['executed'] = []
  const attributes = new Map<string, NotificationAttributes>()
  const observers = new Set<Observer>()

  const nodeAt = (path: LwM2mPath): LwM2mNode | undefined => {
    if (path.objectId !== 3303) return undefined
    if (path.instanceId === undefined) return { kind: 'object', id: 3303, instances: new Map(instances) }
    const inst = instances.get(path.instanceId)
    if (!inst || path.resourceId === undefined) return inst
    return inst.resources.get(path.resourceId)
  }

  const answer = (req: LwM2mRequest, ctx: { acceptObserve?: () => CoapObserveRelation }): CoapResponseInit => {
    if (req.kind === 'bootstrapFinish') return { code: '2.04' }
    if (req.kind === 'readComposite' || req.kind === 'writeComposite' || req.kind === 'observeComposite') return { code: '4.05' }
    const path = req.path
    switch (req.kind) {
      case 'read':
      case 'observe': {
        if (path.instanceId === GARBAGE_INSTANCE) return { code: '2.05', contentFormat: CF.TLV, payload: new Uint8Array([0xff, 0xff, 0xff]) }
        const node = nodeAt(path)
        if (!node) return toCoapResponse({ code: 'NOT_FOUND', errorMessage: `${formatPath(path)} does not exist` }, path, models)
        const format = negotiateFormat(req.format, supported)
        if (format === undefined) return toCoapResponse({ code: 'NOT_ACCEPTABLE' }, path, models)
        if (req.kind === 'observe' && ctx.acceptObserve) {
          const observer: Observer = { relation: ctx.acceptObserve(), path, format }
          observers.add(observer)
          observer.relation.onClose(() => observers.delete(observer))
        }
        return toCoapResponse({ code: 'CONTENT', node, format }, path, models)
      }
      case 'discover': {
        const links: Link[] = [{ target: '/3303', attributes: { ver: '1.1' } }]
        for (const id of instances.keys()) links.push({ target: `/3303/${id}`, attributes: {} })
        for (const [target, attrs] of attributes) links.push({ target, attributes: attrs as Record<string, number> })
        return toCoapResponse({ code: 'CONTENT', links }, path, models)
      }
      case 'write': {
        const current = path.instanceId === undefined ? undefined : instances.get(path.instanceId)
        if (!current || req.node.kind !== 'instance') return toCoapResponse({ code: 'NOT_FOUND' }, path, models)
        const resources = req.mode === 'replace' ? new Map(req.node.resources) : new Map([...current.resources, ...req.node.resources])
        instances.set(current.id, { kind: 'instance', id: current.id, resources })
        return toCoapResponse({ code: 'CHANGED' }, path, models)
      }
      case 'execute':
        executed.push({ path: formatPath(path), ...(req.args !== undefined && { args: req.args }) })
        return toCoapResponse({ code: 'CHANGED' }, path, models)
      case 'create': {
        if (req.node.kind !== 'instance') return toCoapResponse({ code: 'BAD_REQUEST', errorMessage: 'one instance at a time' }, path, models)
        if (req.clientChoosesId) {
          const id = Math.max(-1, ...instances.keys()) + 1
          instances.set(id, { ...req.node, id })
          return toCoapResponse({ code: 'CREATED', location: `/3303/${id}` }, path, models)
        }
        if (instances.has(req.node.id)) return toCoapResponse({ code: 'BAD_REQUEST', errorMessage: 'instance exists' }, path, models)
        instances.set(req.node.id, req.node)
        return toCoapResponse({ code: 'CREATED', location: `/3303/${req.node.id}` }, path, models)
      }
      case 'delete':
        if (path.instanceId === undefined || !instances.delete(path.instanceId)) return toCoapResponse({ code: 'NOT_FOUND' }, path, models)
        return toCoapResponse({ code: 'DELETED' }, path, models)
      case 'writeAttributes':
        attributes.set(formatPath(path), req.attributes)
        return toCoapResponse({ code: 'CHANGED' }, path, models)
      default:
        return toCoapResponse({ code: 'METHOD_NOT_ALLOWED' }, path, models)
    }
  }

  endpoint.onRequest((req, ctx) => {
    received.push(req)
    const parsed = parseLwM2mRequest(req, { models })
    if (isRequestParseError(parsed)) return toCoapResponse({ code: parsed.error, errorMessage: parsed.message }, {}, models)
    requests.push(parsed)
    return answer(parsed, ctx)
  })
  const address = await endpoint.start()

  return {
    address,
    endpoint,
    received,
    requests,
    executed,
    attributes,
    instances,
    observerCount: () => observers.size,
    async setTemperature(value) {
      const current = instances.get(0) ?? temperature(0, value)
      instances.set(0, temperature(0, value, String((current.resources.get(5701) as { value: string } | undefined)?.value ?? 'Cel')))
      for (const o of [...observers]) {
        const node = nodeAt(o.path)
        if (node && pathLevel(o.path) !== 'root') await o.relation.notify(toCoapResponse({ code: 'CONTENT', node, format: o.format }, o.path, models))
      }
    },
    stop: () => endpoint.stop(),
  }
}
