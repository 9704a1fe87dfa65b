import { describe, expect, it } from 'vitest'
import { createLoginRateLimiter } from './rateLimit.js'

describe('login rate limiter', () => {
  it('blocks an account after its failures and tells how long to wait', () => {
    let t = 1_000_000
    const l = createLoginRateLimiter({ perAccount: 3, perAddress: 100, windowMs: 60_000, now: () => t })
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('alice', '10.0.0.1')).toBe(0)
      l.failed('alice', '10.0.0.1')
    }
    expect(l.retryAfter('alice', '10.0.0.9')).toBe(60)
    expect(l.retryAfter('ALICE', '10.0.0.9')).toBe(60)
    expect(l.retryAfter('bob', '10.0.0.1')).toBe(0)
    t += 30_000
    expect(l.retryAfter('alice', '10.0.0.1')).toBe(30)
    t += 30_000
    expect(l.retryAfter('alice', '10.0.0.1')).toBe(0)
  })

  it('blocks an address that tries many accounts', () => {
    const l = createLoginRateLimiter({ perAccount: 5, perAddress: 4 })
    for (let i = 0; i < 4; i++) l.failed(`user${i}`, '10.0.0.2')
    expect(l.retryAfter('someone-else', '10.0.0.2')).toBeGreaterThan(0)
    expect(l.retryAfter('someone-else', '10.0.0.3')).toBe(0)
  })

  it('a successful login clears the account but not the address', () => {
    const l = createLoginRateLimiter({ perAccount: 2, perAddress: 3 })
    l.failed('carol', '10.0.0.4')
    l.failed('carol', '10.0.0.4')
    expect(l.retryAfter('carol', '10.0.0.5')).toBeGreaterThan(0)
    l.succeeded('carol')
    expect(l.retryAfter('carol', '10.0.0.5')).toBe(0)
    l.failed('dave', '10.0.0.4')
    expect(l.retryAfter('erin', '10.0.0.4')).toBeGreaterThan(0)
  })

  it('keeps memory bounded by dropping the oldest keys', () => {
    const l = createLoginRateLimiter({ maxEntries: 100 })
    for (let i = 0; i < 10_000; i++) l.failed(`u${i}`, `a${i}`)
    expect(l.size()).toEqual({ accounts: 100, addresses: 100 })
  })
})
