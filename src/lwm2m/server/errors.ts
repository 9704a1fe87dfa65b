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

/** A queue-mode device's request queue is full (answered 503 by the REST API). */
export class QueueFullError extends LwchainError {
  override name = 'QueueFullError'
  readonly endpoint: string
  constructor(endpoint: string, max: number) {
    super(`the request queue of "${endpoint}" is full (${max} requests wait for it to wake up)`, { code: 'LWC_QUEUE_FULL' })
    this.endpoint = endpoint
  }
}

/**
 * A request to a sleeping queue-mode device did not go out within the wait the caller gave: it
 * stays queued, and its outcome comes later as a `queued-result` event with this request id.
 */
export class RequestQueuedError extends LwchainError {
  override name = 'RequestQueuedError'
  readonly endpoint: string
  readonly requestId: string
  constructor(endpoint: string, requestId: string) {
    super(`"${endpoint}" is asleep (queue mode): request ${requestId} is queued until it next talks`, { code: 'LWC_REQUEST_QUEUED' })
    this.endpoint = endpoint
    this.requestId = requestId
  }
}
