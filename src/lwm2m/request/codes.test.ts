import { describe, expect, it } from 'vitest'
import { coapCodeOf, isSuccessCoapCode, responseCodeOf } from './codes.js'
import type { ResponseCode } from './types.js'

describe('response codes', () => {
  it('maps every named LwM2M code to its CoAP code and back', () => {
    const names: ResponseCode[] = [
      'CREATED', 'DELETED', 'CHANGED', 'CONTENT', 'CONTINUE', 'BAD_REQUEST', 'UNAUTHORIZED', 'BAD_OPTION', 'FORBIDDEN',
      'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'NOT_ACCEPTABLE', 'REQUEST_ENTITY_INCOMPLETE', 'PRECONDITION_FAILED',
      'REQUEST_ENTITY_TOO_LARGE', 'UNSUPPORTED_CONTENT_FORMAT', 'INTERNAL_SERVER_ERROR', 'NOT_IMPLEMENTED', 'SERVICE_UNAVAILABLE',
    ]
    for (const name of names) expect(responseCodeOf(coapCodeOf(name))).toBe(name)
  })

  it('knows the codes LwM2M uses most', () => {
    expect(coapCodeOf('CONTENT')).toBe('2.05')
    expect(coapCodeOf('CHANGED')).toBe('2.04')
    expect(coapCodeOf('CREATED')).toBe('2.01')
    expect(coapCodeOf('DELETED')).toBe('2.02')
    expect(coapCodeOf('NOT_FOUND')).toBe('4.04')
    expect(coapCodeOf('FORBIDDEN')).toBe('4.03')
    expect(coapCodeOf('UNSUPPORTED_CONTENT_FORMAT')).toBe('4.15')
    expect(responseCodeOf('4.06')).toBe('NOT_ACCEPTABLE')
  })

  it('names codes LwM2M does not know OTHER, and answers OTHER as 5.00', () => {
    expect(responseCodeOf('2.03')).toBe('OTHER')
    expect(responseCodeOf('5.04')).toBe('OTHER')
    expect(responseCodeOf('nonsense')).toBe('OTHER')
    expect(coapCodeOf('OTHER')).toBe('5.00')
  })

  it('counts only class 2 as success', () => {
    expect(isSuccessCoapCode('2.05')).toBe(true)
    expect(isSuccessCoapCode('2.31')).toBe(true)
    expect(isSuccessCoapCode('4.04')).toBe(false)
    expect(isSuccessCoapCode('5.00')).toBe(false)
    expect(isSuccessCoapCode('0.00')).toBe(false)
  })
})
