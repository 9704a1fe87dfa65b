import type { DeviceOptions } from './device.js'
import { describeEndpointNameProblem, endpointNameProblem } from '../lwm2m/endpoint-name.js'
import { DeviceError } from './errors.js'
import { parseServerUri } from './uri.js'

/** Checks a device's options once, up front; throws DeviceError (LWC_DEVICE_OPTIONS / _URI). */
export function validateDeviceOptions(o: DeviceOptions): void {
  const fail = (msg: string): never => {
    throw new DeviceError('LWC_DEVICE_OPTIONS', msg)
  }
  const nameProblem = endpointNameProblem(o.endpoint)
  if (nameProblem !== undefined) fail(describeEndpointNameProblem(o.endpoint, nameProblem))
  if (!o.bootstrap && !o.server) fail('a device needs a bootstrap or a server account')
  for (const a of [o.bootstrap, o.server]) {
    if (!a) continue
    parseServerUri(a.uri)
    if (typeof a.identity !== 'string' || a.identity.length === 0) fail('a server account needs a PSK identity')
    if (!(a.key instanceof Uint8Array) || a.key.length === 0) fail('a server account needs a PSK')
  }
  if (o.lifetime !== undefined && (!Number.isInteger(o.lifetime) || o.lifetime < 1)) fail(`lifetime ${o.lifetime} is not a positive number of seconds`)
  if (o.lwm2mVersion !== undefined && o.lwm2mVersion !== '1.0' && o.lwm2mVersion !== '1.1') fail(`LwM2M version ${String(o.lwm2mVersion)} is not 1.0 or 1.1`)
}
