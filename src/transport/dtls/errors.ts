import { LwchainError } from '../../errors/base.js'

/** Stable codes of the DTLS layer. */
export type DtlsErrorCode =
  | 'LWC_DTLS_OPTIONS' // createDtlsTransport got an invalid option
  | 'LWC_DTLS_DECODE' // a record or handshake message does not parse
  | 'LWC_DTLS_TOO_LARGE' // send() of more than 2^14 bytes (one record's plaintext)
  | 'LWC_DTLS_NO_SESSION' // send() to a peer without an established session
  | 'LWC_DTLS_HANDSHAKE' // a handshake failed (alert, wrong key, no common suite)
  | 'LWC_DTLS_HANDSHAKE_TIMEOUT' // the peer did not complete a handshake in time
  | 'LWC_DTLS_NOT_LISTENING' // address()/send() before listen()
  | 'LWC_DTLS_CLOSED' // the transport was closed

/** Any failure of the DTLS layer; `code` says which kind. */
export class DtlsError extends LwchainError {
  override name = 'DtlsError'
  constructor(code: DtlsErrorCode, shortMessage: string, options: { details?: string; cause?: unknown } = {}) {
    super(shortMessage, { code, ...options })
  }
}

/** Shorthand for a malformed-input error (caught at the record boundary, never escapes). */
export function decodeError(what: string): DtlsError {
  return new DtlsError('LWC_DTLS_DECODE', `malformed DTLS input: ${what}`)
}
