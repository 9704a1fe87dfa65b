import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ContentType, DTLS_1_2, MAX_SEQ, parseRecords, serializeRecord } from './record.js'
import { ReplayWindow } from './replay-window.js'

const rec = (seq: number, body = [1, 2, 3]) => ({ type: ContentType.handshake, version: DTLS_1_2, epoch: 1, seq, fragment: Buffer.from(body) })

describe('DTLS record layer', () => {
  it('serializes the 13-byte header with a 48-bit sequence number', () => {
    expect(serializeRecord(rec(0x0102_0304_0506)).toString('hex')).toBe('16fefd0001010203040506' + '0003' + '010203')
  })

  it('parses several records coalesced in one datagram', () => {
    const d = Buffer.concat([serializeRecord(rec(1)), serializeRecord(rec(MAX_SEQ, [9]))])
    const records = parseRecords(d)
    expect(records.map((r) => r.seq)).toEqual([1, MAX_SEQ])
    expect([...records[1].fragment]).toEqual([9])
  })

  it('keeps the records before a truncated one and drops the rest', () => {
    const d = Buffer.concat([serializeRecord(rec(1)), serializeRecord(rec(2)).subarray(0, 14)])
    expect(parseRecords(d).map((r) => r.seq)).toEqual([1])
  })

  it('drops records with an unknown content type or version', () => {
    const bad = serializeRecord(rec(1))
    bad[0] = 99
    expect(parseRecords(bad)).toEqual([])
    const v = serializeRecord(rec(1))
    v.writeUInt16BE(0x0303, 1)
    expect(parseRecords(v)).toEqual([])
  })

  it('rejects records longer than 2^14 + 2048', () => {
    const big = serializeRecord(rec(1, new Array(16384 + 2049).fill(0)))
    expect(parseRecords(big)).toEqual([])
  })

  it('never throws on arbitrary bytes and round-trips what it parses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const records = parseRecords(bytes)
        const again = Buffer.concat(records.map(serializeRecord))
        expect(Buffer.from(bytes).subarray(0, again.length).equals(again)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('anti-replay window', () => {
  it('accepts each sequence number once', () => {
    const w = new ReplayWindow()
    expect(w.check(5)).toBe(true)
    w.accept(5)
    expect(w.check(5)).toBe(false)
    expect(w.check(4)).toBe(true)
    w.accept(4)
    expect(w.check(4)).toBe(false)
  })

  it('rejects numbers that fell out of the 64-wide window and accepts reordered ones inside it', () => {
    const w = new ReplayWindow()
    w.accept(100)
    expect(w.check(36)).toBe(false)
    expect(w.check(37)).toBe(true)
    w.accept(1000)
    expect(w.check(100)).toBe(false)
    expect(w.check(999)).toBe(true)
    expect(w.check(1001)).toBe(true)
  })

  it('behaves like a set of the last 64 numbers (model check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (seqs) => {
        const w = new ReplayWindow()
        const seen = new Set<number>()
        let top = -1
        for (const s of seqs) {
          const expected = !seen.has(s) && (s > top || top - s < 64)
          expect(w.check(s)).toBe(expected)
          if (expected) {
            w.accept(s)
            seen.add(s)
            top = Math.max(top, s)
          }
        }
      }),
    )
  })
})
