import { describe, expect, it } from 'vitest'
import {
  CoapBlockError,
  CoapEndpointClosedError,
  CoapResetError,
  CoapSendError,
  CoapSessionEndedError,
  CoapTimeoutError,
} from '../../transport/coap/errors.js'
import { RequestFailedError, RequestTimeoutError } from './errors.js'
import { describeRequest, transportError } from './sender.js'

const peer = { address: '127.0.0.1', port: 5683 }

describe('transportError', () => {
  it('turns a CoAP timeout into RequestTimeoutError carrying the cause', () => {
    const cause = new CoapTimeoutError('x')
    const err = transportError('read /3/0', cause)
    expect(err).toBeInstanceOf(RequestTimeoutError)
    expect(err).toMatchObject({ code: 'LWC_REQUEST_TIMEOUT', cause })
  })

  it('turns every other CoAP failure into RequestFailedError with its reason', () => {
    const cases: Array<[Error, string]> = [
      [new CoapResetError('x'), 'reset'],
      [new CoapSendError('p', new Error('no session')), 'no-session'],
      [new CoapSessionEndedError('p', 'closed'), 'session-ended'],
      [new CoapEndpointClosedError(), 'closed'],
      [new CoapBlockError('x'), 'block'],
      [new Error('boom'), 'other'],
    ]
    for (const [cause, reason] of cases) {
      const err = transportError('read /3/0', cause)
      expect(err).toBeInstanceOf(RequestFailedError)
      expect(err).toMatchObject({ code: 'LWC_REQUEST_FAILED', reason, cause })
    }
  })

  it('names the request and the peer', () => {
    expect(describeRequest({ kind: 'read', path: { objectId: 3, instanceId: 0 } }, peer)).toBe('read /3/0 to 127.0.0.1:5683')
    expect(describeRequest({ kind: 'bootstrapFinish' }, peer)).toBe('bootstrapFinish /bs to 127.0.0.1:5683')
  })
})
