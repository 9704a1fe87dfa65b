import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildBatch, decodeRecords, decodeRecordsSlow, encodeRecords } from './merkle.js'
import { canonicalJson, type AnomalyRecord } from './record.js'

const record = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }),
  endpoint: fc.string({ minLength: 1, maxLength: 80 }),
  level: fc.integer({ min: 1, max: 255 }),
  collectedAt: fc.integer({ min: 0, max: 2 ** 40 }),
  data: fc.jsonValue().map((v) => JSON.parse(canonicalJson(v)) as unknown),
}) as fc.Arbitrary<AnomalyRecord>

describe('batch records encoding', () => {
  it('decodes what it encodes, exactly as the generic ABI decoder does', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (rs) => {
        const clean = rs.map((r) => ({ ...r, id: Buffer.from(r.id).toString(), endpoint: Buffer.from(r.endpoint).toString() }))
        const enc = encodeRecords(clean)
        expect(decodeRecords(enc)).toEqual(decodeRecordsSlow(enc))
        expect(decodeRecords(enc)).toEqual(clean)
      }),
      { numRuns: 200 },
    )
  })

  it('answers undefined for bytes that are not a record array', () => {
    const enc = buildBatch([{ id: 'a', endpoint: 'e', level: 1, data: 1, collectedAt: 1 }]).encoded
    for (const bad of ['0x', '0x1234', enc.slice(0, enc.length - 64), `0x${'ff'.repeat(64)}`] as const) {
      expect(decodeRecords(bad as `0x${string}`)).toBeUndefined()
    }
  })
})
