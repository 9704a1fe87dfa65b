import { describe, expect, it } from 'vitest'
import { parseHexKey, validateCoapUri, validateText } from './validate.js'

describe('validateText', () => {
  it('accepts UTF-8 names up to 255 bytes', () => {
    expect(validateText('capteur-é', 'endpoint')).toBe('capteur-é')
    expect(validateText('x'.repeat(255), 'endpoint')).toHaveLength(255)
  })
  it('refuses empty, over-long (in bytes), mangled and control-character names', () => {
    expect(() => validateText('', 'endpoint')).toThrow('endpoint must not be empty')
    expect(() => validateText('é'.repeat(128), 'endpoint')).toThrow(/too long \(256 bytes/)
    expect(() => validateText('a\uFFFDb', 'endpoint')).toThrow(/not valid UTF-8/)
    expect(() => validateText('a\uD800b', 'endpoint')).toThrow(/not valid UTF-8/)
    expect(() => validateText('a\nb', 'endpoint')).toThrow(/control characters/)
  })
})

describe('parseHexKey', () => {
  it('parses hex with or without 0x', () => {
    expect(Buffer.from(parseHexKey('0x0aFF', 'key')).toString('hex')).toBe('0aff')
    expect(parseHexKey('00112233445566778899aabbccddeeff', 'key')).toHaveLength(16)
  })
  it('refuses odd length, non-hex digits, empty and over-long keys', () => {
    for (const bad of ['abc', 'zz', '0x', '', 'ab'.repeat(65)]) {
      expect(() => parseHexKey(bad, 'key'), bad).toThrow(expect.objectContaining({ code: 'LWC_INVALID_INPUT' }))
    }
  })
})

describe('validateCoapUri', () => {
  it('accepts coap and coaps URIs with a host only', () => {
    expect(validateCoapUri('coaps://127.0.0.1:5684', 'uri')).toBe('coaps://127.0.0.1:5684')
    expect(validateCoapUri('coap://[::1]:5683', 'uri')).toBe('coap://[::1]:5683')
    expect(() => validateCoapUri('http://x', 'uri')).toThrow(/coap/)
    expect(() => validateCoapUri('not a uri', 'uri')).toThrow(/not a URI/)
  })
})
