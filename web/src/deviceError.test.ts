import { describe, expect, it } from 'vitest'
import { ApiError } from './api.js'
import { deviceErrorMessage } from './deviceError.js'

// The errors as the API sends them (src/api/errors.ts: throwIfFailed keeps the device's CoAP code
// in the message; a request timeout is 504 device_timeout).

describe('deviceErrorMessage', () => {
  it('4.04 from the device: no such node', () => {
    expect(deviceErrorMessage(new ApiError(404, 'not_found', 'read /3/0/99: the device answered 4.04 NOT_FOUND'))).toBe('The device has no such object, instance or resource (4.04 Not Found).')
  })

  it('404 without a device code: the registration is gone', () => {
    expect(deviceErrorMessage(new ApiError(404, 'not_found', 'dev-1 is not registered'))).toBe('The device is not registered any more.')
  })

  it('4.05 from the device: the operation is not allowed there', () => {
    expect(deviceErrorMessage(new ApiError(405, 'method_not_allowed', 'write /3/0/0: the device answered 4.05 METHOD_NOT_ALLOWED'))).toBe('The device does not allow this operation here (4.05 Method Not Allowed).')
  })

  it('a timeout: did not answer in time', () => {
    expect(deviceErrorMessage(new ApiError(504, 'device_timeout', 'LwM2M request timed out: read /3303/0/5700'))).toBe('The device did not answer in time.')
  })

  it('a session that is gone, and 4.01/4.03', () => {
    expect(deviceErrorMessage(new ApiError(504, 'device_unreachable', 'reset'))).toBe('The device cannot be reached right now (its session is gone).')
    expect(deviceErrorMessage(new ApiError(403, 'forbidden', 'execute /3/0/4: the device answered 4.01 UNAUTHORIZED'))).toBe('The device refused this request (4.01/4.03 Unauthorized).')
  })

  it('any other device code, named; the detail after ":" left out', () => {
    expect(deviceErrorMessage(new ApiError(400, 'bad_request', 'write /3/0/13: the device answered 4.00 BAD_REQUEST: bad time'))).toBe('The device answered 4.00 BAD_REQUEST.')
    expect(deviceErrorMessage(new ApiError(502, 'device_error', 'read /3/0: the device answered 5.00 INTERNAL_SERVER_ERROR'))).toBe('The device answered 5.00 INTERNAL_SERVER_ERROR.')
  })

  it('not a device error: as any other error (a 403 of the API is our role check, not the device)', () => {
    expect(deviceErrorMessage(new ApiError(403, 'forbidden', 'the user role may not write'))).toBe('Refused: the user role may not write')
    expect(deviceErrorMessage(new ApiError(0, 'network', 'The server cannot be reached (failed)'))).toBe('The server cannot be reached (failed)')
    expect(deviceErrorMessage(new Error('boom'))).toBe('boom')
  })
})
