/** Public API of the device simulator (`lwchain simulate`, and the daemons' tests). */
export {
  createDevice,
  type Device,
  type DeviceEvents,
  type DeviceOptions,
  type DeviceRequestEvent,
  type DeviceState,
  type DeviceTimers,
} from './device.js'
export type { ServerAccount } from './default-objects.js'
export { DeviceError, type DeviceErrorCode } from './errors.js'
