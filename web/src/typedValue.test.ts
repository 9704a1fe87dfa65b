import { describe, expect, it } from 'vitest'
import { parseTyped } from './typedValue.js'

describe('parseTyped: a Write input as the value of its LwM2M type', () => {
  it('integer: whole numbers, signed, within what a JSON number holds exactly', () => {
    expect(parseTyped('integer', ' 42 ')).toEqual({ value: 42 })
    expect(parseTyped('integer', '-7')).toEqual({ value: -7 })
    expect(parseTyped('integer', String(Number.MAX_SAFE_INTEGER))).toEqual({ value: Number.MAX_SAFE_INTEGER })
    for (const bad of ['', '4.5', '1e3', 'abc', '+', '0x10', '12 3']) expect(parseTyped('integer', bad), bad).toEqual({ error: 'a whole number is needed' })
    // Would be rounded to ...992 on its way: refused rather than written wrong.
    expect(parseTyped('integer', '9007199254740993')).toEqual({ error: expect.stringMatching(/too large/) })
  })

  it('unsigned: whole numbers ≥ 0', () => {
    expect(parseTyped('unsigned', '0')).toEqual({ value: 0 })
    expect(parseTyped('unsigned', '65535')).toEqual({ value: 65535 })
    expect(parseTyped('unsigned', '-1')).toEqual({ error: 'a whole number ≥ 0 is needed' })
    expect(parseTyped('unsigned', '1.5')).toEqual({ error: 'a whole number ≥ 0 is needed' })
  })

  it('float: decimal numbers, with an exponent; not hex, not infinite', () => {
    expect(parseTyped('float', '21.5')).toEqual({ value: 21.5 })
    expect(parseTyped('float', '-0.25')).toEqual({ value: -0.25 })
    expect(parseTyped('float', '.5')).toEqual({ value: 0.5 })
    expect(parseTyped('float', '1e3')).toEqual({ value: 1000 })
    expect(parseTyped('float', '7')).toEqual({ value: 7 })
    for (const bad of ['', ' ', 'warm', 'Infinity', '1e999', '0x10', '1,5']) expect(parseTyped('float', bad), bad).toEqual({ error: 'a number is needed' })
  })

  it('boolean: true or false only', () => {
    expect(parseTyped('boolean', 'true')).toEqual({ value: true })
    expect(parseTyped('boolean', 'false')).toEqual({ value: false })
    for (const bad of ['', '1', 'yes', 'TRUE']) expect(parseTyped('boolean', bad), bad).toEqual({ error: 'true or false is needed' })
  })

  it('time: a date and time (what datetime-local gives) as Unix seconds', () => {
    expect(parseTyped('time', '2026-12-02T06:00:00Z')).toEqual({ value: Date.UTC(2026, 11, 2, 6) / 1000 })
    // datetime-local has no zone: it is the browser's local time.
    expect(parseTyped('time', '2026-12-02T06:00:30')).toEqual({ value: new Date(2026, 11, 2, 6, 0, 30).getTime() / 1000 })
    for (const bad of ['', 'tomorrow']) expect(parseTyped('time', bad), bad).toEqual({ error: 'a date and time is needed' })
  })

  it('opaque: hex bytes, lower-cased', () => {
    expect(parseTyped('opaque', '0A1b')).toEqual({ value: '0a1b' })
    expect(parseTyped('opaque', '')).toEqual({ value: '' })
    for (const bad of ['abc', 'zz', '0a 1b']) expect(parseTyped('opaque', bad), bad).toEqual({ error: 'hex bytes are needed (e.g. 0a1b)' })
  })

  it('objlnk: OBJECT:INSTANCE, each an LwM2M id (≤ 65535)', () => {
    expect(parseTyped('objlnk', '3:0')).toEqual({ value: '3:0' })
    expect(parseTyped('objlnk', '65535:65535')).toEqual({ value: '65535:65535' })
    for (const bad of ['3', '3:', ':0', '3/0', '70000:0', '3:99999']) expect(parseTyped('objlnk', bad), bad).toEqual({ error: 'an object link OBJECT:INSTANCE is needed (e.g. 3:0)' })
  })

  it('string (and any other type): the text as typed, spaces kept', () => {
    expect(parseTyped('string', '  Acme Corp ')).toEqual({ value: '  Acme Corp ' })
    expect(parseTyped('string', '')).toEqual({ value: '' })
    expect(parseTyped('corelnk', '</3/0>')).toEqual({ value: '</3/0>' })
  })
})
