import { describe, expect, it } from 'vitest'
import { LwchainError, UsageError } from '../errors/base.js'
import { RequestFailedError, RequestTimeoutError } from '../lwm2m/request/errors.js'
import { ClientNotRegisteredError } from '../lwm2m/server/errors.js'
import { HttpError, lwm2mErrorStatus, throwIfFailed, toApiError } from './errors.js'

describe('API error mapping', () => {
  it('maps typed errors to statuses with a stable error name', () => {
    expect(toApiError(new ClientNotRegisteredError('x'))).toEqual({ status: 404, body: { error: 'not_found', message: 'client "x" is not registered' } })
    expect(toApiError(new RequestTimeoutError('read /3/0')).status).toBe(504)
    expect(toApiError(new RequestTimeoutError('read /3/0')).body.error).toBe('device_timeout')
    expect(toApiError(new RequestFailedError('read /3/0', 'no-session')).status).toBe(504)
    expect(toApiError(new UsageError('bad')).status).toBe(400)
    expect(toApiError(new HttpError(409, 'conflict', 'taken'))).toEqual({ status: 409, body: { error: 'conflict', message: 'taken' } })
  })

  it('says nothing about internals in a 500', () => {
    expect(toApiError(new LwchainError('rpc http://user:pw@host failed', { code: 'LWC_SOMETHING_NEW' }))).toEqual({ status: 500, body: { error: 'internal', message: 'internal error' } })
    expect(toApiError(new Error('boom')).body.message).toBe('internal error')
  })

  it('maps fastify validation and client errors', () => {
    expect(toApiError(Object.assign(new Error('body must be object'), { validation: [{}] })).status).toBe(400)
    expect(toApiError(Object.assign(new Error('too big'), { statusCode: 413 })).body.error).toBe('too_large')
    expect(toApiError(Object.assign(new Error('bad type'), { statusCode: 415 })).body.error).toBe('unsupported_media_type')
  })

  it('maps LwM2M answers: 4.04 → 404, 4.05 → 405, 4.00 → 400, 4.01 and 4.03 → 403, 5.xx → 502', () => {
    expect(lwm2mErrorStatus('4.04')).toEqual([404, 'not_found'])
    expect(lwm2mErrorStatus('4.05')).toEqual([405, 'method_not_allowed'])
    expect(lwm2mErrorStatus('4.00')).toEqual([400, 'bad_request'])
    expect(lwm2mErrorStatus('4.01')).toEqual([403, 'forbidden'])
    expect(lwm2mErrorStatus('4.03')).toEqual([403, 'forbidden'])
    expect(lwm2mErrorStatus('4.06')).toEqual([406, 'not_acceptable'])
    expect(lwm2mErrorStatus('4.15')).toEqual([415, 'unsupported_content_format'])
    expect(lwm2mErrorStatus('5.00')).toEqual([502, 'device_error'])
  })

  it('turns a failed response into an HttpError naming the device code, and lets a success pass', () => {
    expect(() => throwIfFailed({ code: 'CONTENT', coapCode: '2.05', success: true }, 'read')).not.toThrow()
    expect(() => throwIfFailed({ code: 'NOT_FOUND', coapCode: '4.04', success: false }, 'read /3/9')).toThrow(/read \/3\/9: the device answered 4.04 NOT_FOUND/)
  })
})
