import { LwchainError } from '../errors/base.js'

/** Stable codes of the device simulator's errors. */
export type DeviceErrorCode =
  | 'LWC_DEVICE_OPTIONS'
  | 'LWC_DEVICE_URI'
  | 'LWC_DEVICE_NO_SERVER'
  | 'LWC_DEVICE_BOOTSTRAP_FAILED'
  | 'LWC_DEVICE_REGISTER_FAILED'
  | 'LWC_DEVICE_UPDATE_FAILED'
  | 'LWC_DEVICE_STOPPED'
  | 'LWC_DEVICE_NOT_REGISTERED'

/** Something the simulated device could not do (bootstrap, register...), with the reason. */
export class DeviceError extends LwchainError {
  override name = 'DeviceError'
  declare readonly code: DeviceErrorCode
  /** The CoAP code a server refused with ("4.03"), when it answered at all. */
  readonly coapCode?: string
  constructor(code: DeviceErrorCode, shortMessage: string, options: { details?: string; cause?: unknown; coapCode?: string } = {}) {
    const { coapCode, ...rest } = options
    super(shortMessage, { code, ...rest })
    if (coapCode !== undefined) this.coapCode = coapCode
  }
}
