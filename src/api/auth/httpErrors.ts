import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { LwchainError } from '../../errors/base.js'

/** The JSON body of every API error (DESIGN.md): a stable short `error` and a one-line `message`. */
export interface ApiErrorBody {
  error: string
  message: string
}

const STATUS_BY_CODE: Record<string, [number, string]> = {
  LWC_INVALID_INPUT: [400, 'bad_request'],
  LWC_USAGE: [400, 'bad_request'],
  LWC_CLIENT_NOT_FOUND: [404, 'not_found'],
  LWC_USER_NOT_FOUND: [404, 'not_found'],
  LWC_ANOMALY_NOT_FOUND: [404, 'not_found'],
  LWC_CLIENT_EXISTS: [409, 'conflict'],
  LWC_USER_EXISTS: [409, 'conflict'],
  LWC_IDENTITY_TAKEN: [409, 'conflict'],
  LWC_EMAIL_TAKEN: [409, 'conflict'],
  LWC_CHAIN_UNREACHABLE: [503, 'unavailable'],
  LWC_LEDGER_NOT_RUNNING: [503, 'unavailable'],
  LWC_VIEW_TIMEOUT: [504, 'timeout'],
  LWC_INVALID_RECORD: [400, 'bad_request'],
}

/** Maps an error to an HTTP status and body: typed lwchain errors by code, fastify's validation as 400, the rest 500. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof LwchainError) {
    const [status, error] = STATUS_BY_CODE[err.code] ?? [500, 'internal']
    // 500s say nothing about internals (an RPC URL, a stack) to the caller.
    return { status, body: { error, message: status === 500 ? 'internal error' : err.shortMessage } }
  }
  const fe = err as Partial<FastifyError>
  if (fe.validation) return { status: 400, body: { error: 'bad_request', message: fe.message ?? 'invalid request' } }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error: fe.statusCode === 413 ? 'too_large' : 'bad_request', message: fe.message ?? 'bad request' } }
  }
  return { status: 500, body: { error: 'internal', message: 'internal error' } }
}

/** Sends `{ error, message }` with a status. */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, message } satisfies ApiErrorBody)
}

/** Route-level error handler for our routes: typed bodies, 5xx logged (without request bodies). */
export function apiErrorHandler(this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toApiError(err)
  if (status >= 500) request.log.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'request failed')
  void sendError(reply, status, body.error, body.message)
}
