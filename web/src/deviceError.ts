import { ApiError, describeError } from './api.js'

// The device's own errors, as the API reports them (its CoAP code kept in the message), in plain words.

/** A device error as a sentence an operator understands. */
export function deviceErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404 && /answered 4\.04/.test(err.message)) return 'The device has no such object, instance or resource (4.04 Not Found).'
    if (err.status === 404) return 'The device is not registered any more.'
    if (err.status === 405) return 'The device does not allow this operation here (4.05 Method Not Allowed).'
    if (err.code === 'device_timeout') return 'The device did not answer in time.'
    if (err.code === 'device_unreachable') return 'The device cannot be reached right now (its session is gone).'
    if (err.status === 403 && /answered/.test(err.message)) return 'The device refused this request (4.01/4.03 Unauthorized).'
    const m = /answered (\d\.\d\d) ?([^:]*)/.exec(err.message)
    if (m) return `The device answered ${m[1]} ${m[2]}`.trim() + '.'
  }
  return describeError(err)
}
