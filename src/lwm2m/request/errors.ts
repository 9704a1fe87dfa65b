/** Transport failures of a request; LwM2M error codes are values, never these. */
import { LwchainError } from '../../errors/base.js'

/** The device did not acknowledge or answer in time (CoAP retransmissions exhausted). */
export class RequestTimeoutError extends LwchainError {
  override name = 'RequestTimeoutError'
  constructor(what: string, cause?: unknown) {
    super(`LwM2M request timed out: ${what}`, { code: 'LWC_REQUEST_TIMEOUT', cause, details: detailsOf(cause) })
  }
}

/** Why a request failed below LwM2M. */
export type RequestFailure = 'reset' | 'no-session' | 'session-ended' | 'closed' | 'block' | 'other'

/** The request could not complete: Reset by the peer, no DTLS session, endpoint closed... */
export class RequestFailedError extends LwchainError {
  override name = 'RequestFailedError'
  readonly reason: RequestFailure
  constructor(what: string, reason: RequestFailure, cause?: unknown) {
    super(`LwM2M request failed (${reason}): ${what}`, { code: 'LWC_REQUEST_FAILED', cause, details: detailsOf(cause) })
    this.reason = reason
  }
}

/** A request the sender cannot build (node that does not encode, create on a non-object path...). */
export class InvalidRequestError extends LwchainError {
  override name = 'InvalidRequestError'
  constructor(reason: string, cause?: unknown) {
    super(`invalid LwM2M request: ${reason}`, { code: 'LWC_INVALID_REQUEST', cause, details: detailsOf(cause) })
  }
}

function detailsOf(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  return (cause as LwchainError).shortMessage ?? (cause as Error).message ?? String(cause)
}
