/** LwM2M response codes ↔ CoAP codes (RFC 7252 §12.1.2, LwM2M TS Core §6). */
import type { ResponseCode } from './types.js'

const CODES: ReadonlyArray<readonly [Exclude<ResponseCode, 'OTHER'>, string]> = [
  ['CREATED', '2.01'],
  ['DELETED', '2.02'],
  ['CHANGED', '2.04'],
  ['CONTENT', '2.05'],
  ['CONTINUE', '2.31'],
  ['BAD_REQUEST', '4.00'],
  ['UNAUTHORIZED', '4.01'],
  ['BAD_OPTION', '4.02'],
  ['FORBIDDEN', '4.03'],
  ['NOT_FOUND', '4.04'],
  ['METHOD_NOT_ALLOWED', '4.05'],
  ['NOT_ACCEPTABLE', '4.06'],
  ['REQUEST_ENTITY_INCOMPLETE', '4.08'],
  ['PRECONDITION_FAILED', '4.12'],
  ['REQUEST_ENTITY_TOO_LARGE', '4.13'],
  ['UNSUPPORTED_CONTENT_FORMAT', '4.15'],
  ['INTERNAL_SERVER_ERROR', '5.00'],
  ['NOT_IMPLEMENTED', '5.01'],
  ['SERVICE_UNAVAILABLE', '5.03'],
]

const BY_COAP = new Map(CODES.map(([name, coap]) => [coap, name]))
const BY_NAME = new Map<ResponseCode, string>(CODES)

/** The LwM2M name of a CoAP response code ("4.04" → NOT_FOUND); OTHER when LwM2M has no name for it. */
export function responseCodeOf(coapCode: string): ResponseCode {
  return BY_COAP.get(coapCode) ?? 'OTHER'
}

/** The CoAP code of an LwM2M response code; OTHER has none and answers as 5.00. */
export function coapCodeOf(code: ResponseCode): string {
  return BY_NAME.get(code) ?? '5.00'
}

/** Whether a CoAP response code is a success (class 2). */
export function isSuccessCoapCode(coapCode: string): boolean {
  return /^2\.\d\d$/.test(coapCode)
}
