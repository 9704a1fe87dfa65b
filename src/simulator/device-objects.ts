/**
 * The objects of a device and how it answers servers: the object tree written from the options
 * (Security, Server, Device, Temperature), write-attributes and observations over it, and the
 * request handler of the LwM2M server's session. Each answer is reported as a 'request' event.
 */
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { formatPath, type LwM2mPath } from '../lwm2m/path.js'
import { parseLwM2mRequest, toCoapResponse, type DeviceResponse } from '../lwm2m/request/device-side.js'
import type { CoapRequestHandler, CoapResponseInit } from '../transport/index.js'
import { createAttributeStore } from './attributes-store.js'
import {
  BOOTSTRAP_SECURITY_INSTANCE,
  DIRECT_SSID,
  serverAccounts,
  writeDeviceObject,
  writeSecurityInstance,
  writeServerInstance,
  writeTemperatureObject,
} from './default-objects.js'
import type { DeviceEvents, DeviceOptions } from './device-types.js'
import type { TypedEmitter } from './emitter.js'
import { createObjectTree, type ObjectTree } from './object-tree.js'
import { createObservations, type Observations } from './observations.js'
import { compositeResponse, contentResponse, serveDm, type ServeContext } from './serve.js'

export interface DeviceObjects {
  readonly tree: ObjectTree
  readonly observations: Observations
  /** What serving a request needs (tree, attributes, observations, Execute). */
  readonly ctx: ServeContext
  /** Handler of the LwM2M server's requests (Device Management and Information Reporting). */
  readonly dmHandler: CoapRequestHandler
  /** Encodes an answer and reports the request to 'request' listeners. */
  report(iface: 'bootstrap' | 'server', kind: string, path: LwM2mPath | undefined, res: DeviceResponse): CoapResponseInit
}

export interface DeviceObjectsOptions {
  options: DeviceOptions
  version: '1.0' | '1.1'
  models: ModelRegistry
  logger: Logger
  events: TypedEmitter<DeviceEvents>
  /** Executes a resource (Registration Update Trigger, Bootstrap-Request Trigger, Reboot...). */
  execute: (path: LwM2mPath, args: string | undefined) => string
}

/** Writes the initial objects and wires observations and the request handler over them. */
export function createDeviceObjects(d: DeviceObjectsOptions): DeviceObjects {
  const { options: o, models } = d
  const tree = createObjectTree(models)
  if (o.bootstrap) writeSecurityInstance(tree, BOOTSTRAP_SECURITY_INSTANCE, o.bootstrap, true)
  if (o.server) {
    writeSecurityInstance(tree, BOOTSTRAP_SECURITY_INSTANCE + 1, o.server, false, DIRECT_SSID)
    writeServerInstance(tree, 0, DIRECT_SSID, o.lifetime ?? 300)
  }
  writeDeviceObject(tree, o.endpoint, o.firmwareVersion ?? '1.0.0')
  writeTemperatureObject(tree, 0, o.temperature ?? 21.5)

  const attributes = createAttributeStore()
  let ctx: ServeContext // observations need content, which needs ctx: tied below
  const observations = createObservations({
    attributes,
    logger: d.logger,
    defaults: () => {
      const srv = serverAccounts(tree)[0]?.serverInstance
      if (srv === undefined) return {}
      const pmin = tree.value(1, srv, 2)
      const pmax = tree.value(1, srv, 3)
      return { ...(typeof pmin === 'number' && { pmin }), ...(typeof pmax === 'number' && { pmax }) }
    },
    content: {
      response: (path, format) => toCoapResponse(contentResponse(ctx, path, format, 'server'), path, models),
      compositeResponse: (paths, format) => toCoapResponse(compositeResponse(ctx, paths, format), {}, models),
      numeric: (path) => {
        if (path.resourceId === undefined || path.resourceInstanceId !== undefined) return undefined
        const v = tree.value(path.objectId as number, path.instanceId as number, path.resourceId)
        return typeof v === 'number' ? v : undefined
      },
    },
  })
  ctx = { tree, version: d.version, attributes, observations, execute: d.execute }

  const report: DeviceObjects['report'] = (iface, kind, path, res) => {
    const out = toCoapResponse(res, path ?? {}, models)
    d.events.emit('request', { interface: iface, kind, ...(path && { path: formatPath(path) }), code: out.code })
    return out
  }

  const dmHandler: CoapRequestHandler = (req, c) => {
    const r = parseLwM2mRequest(req, { models })
    if ('error' in r) return report('server', 'invalid', undefined, { code: r.error, errorMessage: r.message })
    return report('server', r.kind, 'path' in r ? r.path : undefined, serveDm(ctx, r, c.acceptObserve))
  }

  return { tree, observations, ctx, dmHandler, report }
}
