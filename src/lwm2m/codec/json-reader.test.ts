import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { readJson, jsonNumber, type JsonValue } from './json-reader.js'
import { DEFAULT_LIMITS } from './limits.js'
import { CodecError } from '../errors.js'

const read = (text: string) => readJson(text, 'json', DEFAULT_LIMITS).value

/** Back to plain JS (numbers as number) to compare with JSON.parse. */
function plain(v: JsonValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]))
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === 'object') return Number(v.value)
  return v
}

describe('readJson', () => {
  it('reads what JSON.parse reads, the same way', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), (text) => {
        const parsed = JSON.parse(text)
        // JSON.parse keeps the last duplicate key; readJson refuses duplicates, which fc.json never makes.
        expect(plain(read(text))).toEqual(parsed)
      }),
      { numRuns: 500 },
    )
  })

  it('keeps integers beyond 2^53 as bigints and marks floats', () => {
    expect(read('18446744073709551615')).toEqual({ kind: 'number', value: 18446744073709551615n, float: false })
    expect(read('2.0')).toEqual({ kind: 'number', value: 2, float: true })
    expect(read('1E3')).toEqual({ kind: 'number', value: 1000, float: true })
  })

  it('decodes escapes including surrogate pairs', () => {
    expect(read('"a\\u00e9\\ud83d\\ude00\\n\\"\\/"')).toBe('aé😀\n"/')
  })

  it.each([
    ['{"a":1,"a":2}', 7],
    ['[1,]', 3],
    ['01', 1],
    ['"abc', 0],
    ['[1] x', 4],
    ['1e999', 0],
    ['{"a" 1}', 5],
    ['"\u0001"', 1],
    ['1'.repeat(41), 0],
  ])('refuses %j with the offset %i', (text, offset) => {
    try {
      read(text)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError)
      expect((err as CodecError).offset).toBe(offset)
    }
  })

  it('writes floats so that readers still see floats', () => {
    expect(jsonNumber(2, true, 'json')).toBe('2.0')
    expect(jsonNumber(-0, true, 'json')).toBe('-0.0')
    expect(jsonNumber(1e21, true, 'json')).toBe('1e+21')
    expect(jsonNumber(2, false, 'json')).toBe('2')
    expect(() => jsonNumber(NaN, true, 'json')).toThrow(CodecError)
  })
})
