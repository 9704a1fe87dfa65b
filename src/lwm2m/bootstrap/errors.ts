import { LwchainError } from '../../errors/base.js'

/** A bootstrap configuration value out of range (lifetime, short server id, instance ids...). */
export class BootstrapConfigError extends LwchainError {
  override name = 'BootstrapConfigError'
  constructor(reason: string) {
    super(`invalid bootstrap configuration: ${reason}`, { code: 'LWC_BOOTSTRAP_CONFIG', kind: 'usage' })
  }
}

/** Why a bootstrap session ended without Bootstrap-Finish succeeding. */
export type BootstrapFailureReason = 'rejected' | 'transport' | 'timeout' | 'replaced' | 'revoked' | 'shutdown' | 'no-credentials' | 'internal'

/** A bootstrap session that did not finish: the device refused a step, went silent, or was cut off. */
export class BootstrapSessionError extends LwchainError {
  override name = 'BootstrapSessionError'
  readonly reason: BootstrapFailureReason
  /** The step that failed, e.g. "delete /0", "write /0/1", "finish". */
  readonly step?: string
  constructor(reason: BootstrapFailureReason, message: string, options: { step?: string; cause?: unknown } = {}) {
    super(message, { code: 'LWC_BOOTSTRAP_FAILED', cause: options.cause })
    this.reason = reason
    this.step = options.step
  }
}
