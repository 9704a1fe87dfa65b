import { describe, expect, it, vi } from 'vitest'
import { CookieJar } from './cookie.js'
import { parseClientHello, type ClientHello } from './hello.js'

const hello = (random: string, cookie: Uint8Array = Buffer.alloc(0)): ClientHello => ({
  ...parseClientHello(Buffer.from('fefd' + random.repeat(32) + '00' + '00' + '0002c0a8' + '0100', 'hex')),
  cookie,
})

describe('stateless cookies', () => {
  it('verifies a cookie for the same peer and hello only', () => {
    const jar = new CookieJar()
    const cookie = jar.make('127.0.0.1:1000', hello('11'))
    expect(jar.verify('127.0.0.1:1000', hello('11', cookie))).toBe(true)
    expect(jar.verify('127.0.0.1:1001', hello('11', cookie))).toBe(false)
    expect(jar.verify('127.0.0.1:1000', hello('12', cookie))).toBe(false)
    expect(jar.verify('127.0.0.1:1000', hello('11', Buffer.alloc(16)))).toBe(false)
    expect(jar.verify('127.0.0.1:1000', hello('11', Buffer.alloc(3)))).toBe(false)
  })

  it('accepts a cookie across one period boundary, not two', () => {
    let now = 10_000
    const jar = new CookieJar(1000, () => now)
    const cookie = jar.make('p', hello('11'))
    now = 11_999
    expect(jar.verify('p', hello('11', cookie))).toBe(true)
    now = 12_000
    expect(jar.verify('p', hello('11', cookie))).toBe(false)
  })

  it('refuses an hour-old cookie although nothing asked in between (rotation follows the clock)', () => {
    let now = 0
    const jar = new CookieJar(60_000, () => now)
    const cookie = jar.make('p', hello('11'))
    // No make/verify between: a traffic-driven rotation would still hold the cookie's secret.
    now = 60 * 60_000
    expect(jar.verify('p', hello('11', cookie))).toBe(false)
    // A fresh cookie works at the new time, and the jar has not lost its footing.
    expect(jar.verify('p', hello('11', jar.make('p', hello('11'))))).toBe(true)
  })

  it('follows the real clock when none is injected (fake timers)', () => {
    vi.useFakeTimers({ now: 5_000_000, toFake: ['Date'] })
    try {
      const jar = new CookieJar(1000)
      const cookie = jar.make('p', hello('11'))
      vi.setSystemTime(5_001_500)
      expect(jar.verify('p', hello('11', cookie))).toBe(true)
      vi.setSystemTime(5_000_000 + 3 * 1000)
      expect(jar.verify('p', hello('11', cookie))).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})
