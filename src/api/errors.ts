import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { LwchainError } from '../errors/base.js'
import type { LwM2mResponse } from '../lwm2m/request/types.js'

/** The JSON body of every API error (DESIGN.md): a stable short `error` and a one-line `message`. */
export interface ApiErrorBody {
  error: string
  message: string
  /** The device's LwM2M (CoAP) code when the device answered with an error, e.g. "4.04". */
  lwm2mCode?: string
  /** 202 for a sleeping queue-mode device: the id its `queued-result` event on /api/events will carry. */
  requestId?: string
}

/** An HTTP answer decided by a route (bad query, unknown observation...): status and `error` as given. */
export class HttpError extends LwchainError {
  override name = 'HttpError'
  readonly status: number
  readonly error: string
  constructor(status: number, error: string, message: string) {
    super(message, { code: 'LWC_HTTP' })
    this.status = status
    this.error = error
  }
}

/** Status and `error` of each typed lwchain error code the API can meet. */
const STATUS_BY_CODE: Record<string, [number, string]> = {
  LWC_INVALID_INPUT: [400, 'bad_request'],
  LWC_INVALID_RECORD: [400, 'bad_request'],
  LWC_INVALID_PATH: [400, 'bad_request'],
  LWC_INVALID_ATTRIBUTES: [400, 'bad_request'],
  LWC_INVALID_REQUEST: [400, 'bad_request'],
  LWC_CODEC: [400, 'bad_request'],
  LWC_USAGE: [400, 'bad_request'],
  LWC_IMPORT_INVALID: [400, 'bad_request'],
  // The daemon's own key lacks a contract role: not the caller's fault, and not a reason to log them out.
  LWC_UNAUTHORIZED: [403, 'forbidden'],
  LWC_MISSING_ROLE: [403, 'forbidden'],
  LWC_INVALID_TOKEN: [401, 'unauthorized'],
  LWC_FORBIDDEN: [403, 'forbidden'],
  LWC_NOT_REGISTERED: [404, 'not_found'],
  LWC_CLIENT_NOT_FOUND: [404, 'not_found'],
  LWC_USER_NOT_FOUND: [404, 'not_found'],
  LWC_ANOMALY_NOT_FOUND: [404, 'not_found'],
  LWC_CLIENT_EXISTS: [409, 'conflict'],
  LWC_USER_EXISTS: [409, 'conflict'],
  LWC_IDENTITY_TAKEN: [409, 'conflict'],
  LWC_EMAIL_TAKEN: [409, 'conflict'],
  LWC_LAST_ADMIN: [409, 'conflict'],
  LWC_CHAIN_UNREACHABLE: [503, 'unavailable'],
  LWC_QUEUE_FULL: [503, 'queue_full'],
  // Not an error for the caller: the request waits for the queue-mode device to wake up.
  LWC_REQUEST_QUEUED: [202, 'queued'],
  LWC_LEDGER_NOT_RUNNING: [503, 'unavailable'],
  // The daemon is shutting down: its sealing pool no longer takes work.
  LWC_SEALING_POOL_CLOSED: [503, 'unavailable'],
  LWC_REQUEST_TIMEOUT: [504, 'device_timeout'],
  // Reset by the device, its DTLS session gone: it cannot be reached right now.
  LWC_REQUEST_FAILED: [504, 'device_unreachable'],
  LWC_VIEW_TIMEOUT: [504, 'timeout'],
}

/** Maps an error to an HTTP status and body: typed lwchain errors by code, fastify's validation as 400, the rest 500. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.error, message: err.shortMessage } }
  if (err instanceof LwchainError) {
    const [status, error] = STATUS_BY_CODE[err.code] ?? [500, 'internal']
    // 500s say nothing about internals (an RPC URL, a stack) to the caller.
    const requestId = (err as { requestId?: unknown }).requestId
    return { status, body: { error, message: status === 500 ? 'internal error' : err.shortMessage, ...(typeof requestId === 'string' && { requestId }) } }
  }
  const fe = err as Partial<FastifyError>
  if (fe.validation) return { status: 400, body: { error: 'bad_request', message: fe.message ?? 'invalid request' } }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const error = fe.statusCode === 413 ? 'too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : fe.statusCode === 404 ? 'not_found' : 'bad_request'
    return { status: fe.statusCode, body: { error, message: fe.message ?? 'bad request' } }
  }
  return { status: 500, body: { error: 'internal', message: 'internal error' } }
}

/** HTTP status and `error` for an LwM2M error answer of a device (4.04 → 404, 4.05 → 405, 4.01/4.03 → 403, 5.xx → 502...). */
export function lwm2mErrorStatus(coapCode: string): [number, string] {
  switch (coapCode) {
    case '4.00':
    case '4.02':
    case '4.08':
      return [400, 'bad_request']
    case '4.01':
    case '4.03':
      return [403, 'forbidden']
    case '4.04':
      return [404, 'not_found']
    case '4.05':
      return [405, 'method_not_allowed']
    case '4.06':
      return [406, 'not_acceptable']
    case '4.09':
      return [409, 'conflict']
    case '4.12':
      return [412, 'precondition_failed']
    case '4.13':
      return [413, 'too_large']
    case '4.15':
      return [415, 'unsupported_content_format']
    default:
      return coapCode.startsWith('4.') ? [400, 'bad_request'] : [502, 'device_error']
  }
}

/** Throws the HttpError of a failed LwM2M response (the device's code kept in the message). */
export function throwIfFailed(response: LwM2mResponse, what: string): void {
  if (response.success) return
  const [status, error] = lwm2mErrorStatus(response.coapCode)
  const detail = response.errorMessage ? `: ${response.errorMessage}` : ''
  throw new HttpError(status, error, `${what}: the device answered ${response.coapCode} ${response.code}${detail}`)
}

/** Sends `{ error, message }` with a status. */
export function sendApiError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, message } satisfies ApiErrorBody)
}

/** The fastify error handler of the API: typed bodies, 5xx logged (never request bodies). */
export function apiErrorHandler(this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toApiError(err)
  if (status >= 500 && status !== 504 && status !== 503) {
    request.log.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'request failed')
  }
  void reply.code(status).type('application/json').send(body)
}

/** Installs apiErrorHandler on an instance (createHttpApp already answers unknown routes with a JSON 404). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(apiErrorHandler)
}
