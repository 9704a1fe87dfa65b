import { describe, expect, it } from 'vitest'
import { CodecError } from '../errors.js'
import { coerceValue, textToValue, valueToText } from './values.js'

describe('value conversions', () => {
  it('converts representations without inventing values', () => {
    expect(coerceValue('integer', '42')).toBe(42)
    expect(coerceValue('integer', 2n ** 60n)).toBe(2n ** 60n)
    expect(coerceValue('integer', 2n ** 40n)).toBe(2 ** 40)
    expect(coerceValue('unsigned', 7)).toBe(7)
    expect(coerceValue('time', 1367491215)).toEqual(new Date(1367491215000))
    expect(coerceValue('time', new Date(1500))).toEqual(new Date(1000))
    expect(coerceValue('objlnk', '3:0')).toEqual({ objectId: 3, instanceId: 0 })
    expect(coerceValue('opaque', '0x0102')).toEqual(Uint8Array.of(1, 2))
    expect(coerceValue('boolean', 1)).toBe(true)
    expect(coerceValue('float', '2.5')).toBe(2.5)
    expect(coerceValue('none', undefined)).toBeNull()
  })

  it.each([
    ['integer', 1.5],
    ['integer', 2 ** 60],
    ['integer', 2n ** 63n],
    ['unsigned', -1],
    ['float', 2n ** 60n + 1n],
    ['boolean', 'yes'],
    ['string', 5],
    ['string', 'a\uD800b'],
    ['opaque', 'AQID'],
    ['time', 'yesterday'],
    ['objlnk', { objectId: 70000, instanceId: 0 }],
    ['none', 0],
  ] as const)('refuses a %s from %s', (type, value) => {
    expect(() => coerceValue(type, value)).toThrow(CodecError)
  })

  it('writes and reads the text form of each type', () => {
    expect(valueToText('boolean', true)).toBe('1')
    expect(valueToText('time', new Date(1367491215000))).toBe('1367491215')
    expect(valueToText('objlnk', { objectId: 3, instanceId: 0 })).toBe('3:0')
    expect(valueToText('opaque', Uint8Array.of(1, 2, 3))).toBe('AQID')
    expect(valueToText('float', -0)).toBe('-0')
    expect(Object.is(textToValue('float', '-0'), -0)).toBe(true)
    expect(textToValue('integer', '+7')).toBe(7)
    expect(textToValue('integer', '-9223372036854775808')).toBe(-(2n ** 63n))
  })
})
