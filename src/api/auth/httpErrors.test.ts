import { describe, expect, it } from 'vitest'
import { ClientExistsError, ClientNotFoundError, ChainUnreachableError } from '../../chain/errors.js'
import { InvalidInputError } from '../../chain/records/validate.js'
import { LwchainError } from '../../errors/base.js'
import { toApiError } from './httpErrors.js'

describe('API error mapping', () => {
  it('maps typed errors to statuses with their one-line message', () => {
    expect(toApiError(new InvalidInputError('level must be 1-255'))).toEqual({ status: 400, body: { error: 'bad_request', message: 'level must be 1-255' } })
    expect(toApiError(new ClientNotFoundError('x')).status).toBe(404)
    expect(toApiError(new ClientExistsError('x')).status).toBe(409)
    expect(toApiError(new ChainUnreachableError('http://127.0.0.1:1')).status).toBe(503)
  })

  it('says nothing about internals in a 500', () => {
    expect(toApiError(new LwchainError('rpc http://u:p@host failed', { code: 'LWC_SOMETHING' }))).toEqual({ status: 500, body: { error: 'internal', message: 'internal error' } })
    expect(toApiError(new Error('boom at /secret/path')).body.message).toBe('internal error')
  })
})
