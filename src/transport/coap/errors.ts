import { LwchainError } from '../../errors/base.js'

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
export class CoapTimeoutError extends LwchainError {
  override name = 'CoapTimeoutError'
  constructor(what: string, details?: string) {
    super(`CoAP timeout: ${what}`, { code: 'LWC_COAP_TIMEOUT', details })
  }
}

/** The peer answered our message with a Reset (it does not know the exchange). */
export class CoapResetError extends LwchainError {
  override name = 'CoapResetError'
  constructor(what: string) {
    super(`CoAP peer sent Reset: ${what}`, { code: 'LWC_COAP_RESET' })
  }
}

/** A block-wise body grew past maxBodySize, or its blocks did not fit together. */
export class CoapBlockError extends LwchainError {
  override name = 'CoapBlockError'
  constructor(reason: string) {
    super(`CoAP block-wise transfer failed: ${reason}`, { code: 'LWC_COAP_BLOCK' })
  }
}

/** The endpoint was stopped (or never started) while the operation was pending. */
export class CoapEndpointClosedError extends LwchainError {
  override name = 'CoapEndpointClosedError'
  constructor() {
    super('CoAP endpoint is not running', { code: 'LWC_COAP_CLOSED' })
  }
}

/** The transport refused to send (no DTLS session to this peer, socket closed...). */
export class CoapSendError extends LwchainError {
  override name = 'CoapSendError'
  constructor(peer: string, cause: unknown) {
    super(`cannot send CoAP message to ${peer}`, { code: 'LWC_COAP_SEND', cause, details: String((cause as Error)?.message ?? cause) })
  }
}

/** The DTLS session with the peer ended while a request or observation was pending. */
export class CoapSessionEndedError extends LwchainError {
  override name = 'CoapSessionEndedError'
  constructor(peer: string, reason: string) {
    super(`DTLS session with ${peer} ended (${reason})`, { code: 'LWC_COAP_SESSION_ENDED' })
  }
}
