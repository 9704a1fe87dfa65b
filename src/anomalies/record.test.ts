import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, leafHashOf, leafHashOfSlow, parseAnomalyInput, parseAnomalyRecord, type AnomalyInput } from './record.js'
import { createUlidGenerator } from './ulid.js'

describe('anomaly records', () => {
  it('writes canonical JSON: sorted keys at every depth, no spaces', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}')
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/)
  })

  it('hashes leaves by hand exactly as the ABI encoder would', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 70 }),
        fc.string({ minLength: 1, maxLength: 90 }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.jsonValue(),
        (id, endpoint, level, collectedAt, data) => {
          const r = { id, endpoint, level, collectedAt, data: JSON.parse(canonicalJson(data)) }
          expect(leafHashOf(r)).toBe(leafHashOfSlow(r))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('validates input: endpoint, level 1-255, JSON data, ISO or seconds time', () => {
    expect(parseAnomalyInput({ endpoint: 'e', level: '3', data: { t: 1 }, timestamp: '2026-01-01T00:00:01.900Z' })).toEqual({
      endpoint: 'e',
      level: 3,
      data: { t: 1 },
      collectedAt: 1_767_225_601,
    })
    expect(parseAnomalyInput({ endpoint: 'e', level: 1, data: null, timestamp: 12.7 }).collectedAt).toBe(12)
    expect(parseAnomalyInput({ endpoint: 'e', level: 1, data: null, timestamp: '1700000000' }).collectedAt).toBe(1_700_000_000)
    for (const bad of [
      { endpoint: '', level: 1, data: 1 },
      { endpoint: 'e', level: 0, data: 1 },
      { endpoint: 'e', level: 256, data: 1 },
      { endpoint: 'e', level: 1.5, data: 1 },
      { endpoint: 'e', level: 1 },
      { endpoint: 'e', level: 1, data: 'x'.repeat(9000) },
      { endpoint: 'e', level: 1, data: 1, timestamp: 'soon' },
      { endpoint: 'e', level: 1, data: 1, timestamp: -5 },
    ]) {
      expect(() => parseAnomalyInput(bad as AnomalyInput)).toThrow(expect.objectContaining({ code: 'LWC_INVALID_INPUT' }))
    }
  })

  it('refuses a presented record whose two times disagree', () => {
    const r = { id: 'x1', endpoint: 'e', level: 1, data: 1, collectedAt: 60, timestamp: '1970-01-01T00:01:00Z' }
    expect(parseAnomalyRecord(r).collectedAt).toBe(60)
    expect(() => parseAnomalyRecord({ ...r, timestamp: '1970-01-01T00:02:00Z' })).toThrow(/disagree/)
  })

  it('gives ULIDs that never repeat and sort by acceptance, even within one millisecond', () => {
    let t = 1_700_000_000_000
    const next = createUlidGenerator(() => t)
    const ids = Array.from({ length: 2000 }, (_, i) => {
      if (i % 500 === 0) t++
      return next()
    })
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    expect(ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })
})
