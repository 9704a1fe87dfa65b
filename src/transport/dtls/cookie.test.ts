import { describe, expect, it } from 'vitest'
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

  it('accepts a cookie across one secret rotation, not two', () => {
    let now = 0
    const jar = new CookieJar(1000, () => now)
    const cookie = jar.make('p', hello('11'))
    now = 1500
    expect(jar.verify('p', hello('11', cookie))).toBe(true)
    now = 3000
    expect(jar.verify('p', hello('11', cookie))).toBe(false)
  })
})
