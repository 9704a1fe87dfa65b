import { LwchainError } from '../../errors/base.js'

/** A request was addressed to an endpoint that is not registered at this server. */
export class ClientNotRegisteredError extends LwchainError {
  override name = 'ClientNotRegisteredError'
  readonly endpoint: string
  constructor(endpoint: string) {
    super(`client "${endpoint}" is not registered`, { code: 'LWC_NOT_REGISTERED' })
    this.endpoint = endpoint
  }
}

/** A Register or Update request whose parameters or payload are malformed (answered 4.00). */
export class RegistrationRequestError extends LwchainError {
  override name = 'RegistrationRequestError'
  constructor(reason: string, cause?: unknown) {
    super(`bad registration request: ${reason}`, { code: 'LWC_BAD_REGISTRATION', cause })
  }
}
