import { LwchainError } from '../../errors/base.js'

/** An object model (OMA DDF) that cannot be read or does not follow LWM2M.xsd. */
export class InvalidModelError extends LwchainError {
  override name = 'InvalidModelError'
  /** File (or other source) the model came from, when known. */
  readonly source?: string
  constructor(reason: string, options: { source?: string; cause?: unknown } = {}) {
    super(`invalid object model${options.source ? ` in ${options.source}` : ''}: ${reason}`, {
      code: 'LWC_INVALID_MODEL',
      cause: options.cause,
    })
    this.source = options.source
  }
}
