/**
 * The CoAP endpoint's errors. Those that end an exchange carry `transportFailure`, the kind the
 * layers above read through ../types.ts (transportFailureOf) without importing these classes.
 */
import { LwchainError } from '../../errors/base.js'
import type { TransportFailure, TransportFailureKind } from '../types.js'

/** A datagram that is not a well-formed CoAP message (RFC 7252 §3), or a message we cannot encode. */
export class CoapFormatError extends LwchainError {
  override name = 'CoapFormatError'
  /** Byte offset of the offending input, when known. */
  readonly offset?: number
  constructor(reason: string, offset?: number) {
    super(`malformed CoAP message: ${reason}${offset === undefined ? '' : ` at offset ${offset}`}`, {
      code: 'LWC_COAP_FORMAT',
    })
    this.offset = offset
  }
}

/** A confirmable message was never acknowledged, or a response never came. */
export class CoapTimeoutError extends LwchainError implements TransportFailure {
  override name = 'CoapTimeoutError'
  readonly transportFailure: TransportFailureKind = 'timeout'
  constructor(what: string, details?: string) {
    super(`CoAP timeout: ${what}`, { code: 'LWC_COAP_TIMEOUT', details })
  }
}

/** The peer answered our message with a Reset (it does not know the exchange). */
export class CoapResetError extends LwchainError implements TransportFailure {
  override name = 'CoapResetError'
  readonly transportFailure: TransportFailureKind = 'reset'
  constructor(what: string) {
    super(`CoAP peer sent Reset: ${what}`, { code: 'LWC_COAP_RESET' })
  }
}

/** A block-wise body grew past maxBodySize, or its blocks did not fit together. */
export class CoapBlockError extends LwchainError implements TransportFailure {
  override name = 'CoapBlockError'
  readonly transportFailure: TransportFailureKind = 'block'
  constructor(reason: string) {
    super(`CoAP block-wise transfer failed: ${reason}`, { code: 'LWC_COAP_BLOCK' })
  }
}

/** The endpoint was stopped (or never started) while the operation was pending. */
export class CoapEndpointClosedError extends LwchainError implements TransportFailure {
  override name = 'CoapEndpointClosedError'
  readonly transportFailure: TransportFailureKind = 'closed'
  constructor() {
    super('CoAP endpoint is not running', { code: 'LWC_COAP_CLOSED' })
  }
}

/** The transport refused to send (no DTLS session to this peer, socket closed...). */
export class CoapSendError extends LwchainError implements TransportFailure {
  override name = 'CoapSendError'
  readonly transportFailure: TransportFailureKind = 'no-session'
  constructor(peer: string, cause: unknown) {
    super(`cannot send CoAP message to ${peer}`, { code: 'LWC_COAP_SEND', cause, details: String((cause as Error)?.message ?? cause) })
  }
}

/** The DTLS session with the peer ended while a request or observation was pending. */
export class CoapSessionEndedError extends LwchainError implements TransportFailure {
  override name = 'CoapSessionEndedError'
  readonly transportFailure: TransportFailureKind = 'session-ended'
  constructor(peer: string, reason: string) {
    super(`DTLS session with ${peer} ended (${reason})`, { code: 'LWC_COAP_SESSION_ENDED' })
  }
}
