import { describe, expect, it } from 'vitest'
import { LwchainError, UsageError, redactUrl } from './base.js'

describe('LwchainError', () => {
  it('keeps a one-line short message and a stable code', () => {
    const err = new LwchainError('client "a" not found', { code: 'LWC_CLIENT_NOT_FOUND', details: 'more' })
    expect(err.shortMessage).toBe('client "a" not found')
    expect(err.code).toBe('LWC_CLIENT_NOT_FOUND')
    expect(err.exitCode).toBe(1)
    expect(err.message).toContain('Details: more')
  })

  it('exits 2 for usage errors', () => {
    expect(new UsageError('bad --level').exitCode).toBe(2)
  })

  it('walks the cause chain', () => {
    const root = new Error('socket hang up')
    const err = new LwchainError('cannot reach chain', { code: 'LWC_CHAIN_UNREACHABLE', cause: root })
    expect(err.walk()).toBe(root)
    expect(err.walk((e) => e instanceof LwchainError)).toBe(err)
  })
})

describe('redactUrl', () => {
  it('strips credentials from RPC URLs', () => {
    const out = redactUrl('https://alice:s3cret@rpc.example.org/v3/abc?apikey=xyz&chain=1')
    expect(out).not.toContain('s3cret')
    expect(out).not.toContain('alice')
    expect(out).not.toContain('xyz')
    expect(out).toContain('chain=1')
  })

  it('leaves plain URLs and non-URLs alone', () => {
    expect(redactUrl('http://127.0.0.1:8545/')).toBe('http://127.0.0.1:8545/')
    expect(redactUrl('not a url')).toBe('not a url')
  })
})
