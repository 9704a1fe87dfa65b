import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { BatchEvent } from '../chain/anomalies/fetchBatchEvents.js'
import { AnomalyIndex } from './anomalyIndex.js'
import { buildBatch } from './merkle.js'
import type { AnomalyRecord } from './record.js'

const rec = (id: string, endpoint: string, collectedAt: number, level = 1): AnomalyRecord => ({ id, endpoint, level, data: { id }, collectedAt })

function batchEvent(batchId: bigint, records: AnomalyRecord[]): BatchEvent {
  const b = buildBatch(records)
  return {
    batchId,
    root: b.root,
    count: records.length,
    blockTime: 1n,
    poster: '0x0000000000000000000000000000000000000001',
    records: b.encoded,
    block: batchId,
    blockHash: '0x',
    logIndex: 0,
    txHash: `0x${batchId.toString(16).padStart(64, '0')}`,
  }
}

/** Follows `next` until the end; returns every id seen. */
function allPages(index: AnomalyIndex, q: Parameters<AnomalyIndex['list']>[0]): string[] {
  const ids: string[] = []
  let cursor: string | undefined
  for (let guard = 0; guard < 10_000; guard++) {
    const page = index.list({ ...q, cursor })
    ids.push(...page.items.map((x) => x.id))
    if (!page.next) return ids
    cursor = page.next
  }
  throw new Error('pagination does not end')
}

describe('AnomalyIndex', () => {
  it('lists pending local records and anchored ones in time order, filtered by endpoint and time', () => {
    const index = new AnomalyIndex()
    index.addLocal(rec('c', 'ep1', 300))
    index.addLocal(rec('a', 'ep1', 100))
    index.applyBatch(batchEvent(1n, [rec('b', 'ep2', 200), rec('a', 'ep1', 100)]))
    expect(index.list().items.map((x) => [x.id, x.status])).toEqual([['a', 'anchored'], ['b', 'anchored'], ['c', 'pending']])
    expect(index.list({ endpoint: 'ep1' }).items.map((x) => x.id)).toEqual(['a', 'c'])
    expect(index.list({ endpoint: 'nobody' }).items).toEqual([])
    expect(index.list({ from: 150, to: 300 }).items.map((x) => x.id)).toEqual(['b', 'c'])
    expect(index.list({ from: new Date(200_000).toISOString(), to: '1970-01-01T00:04:59Z' }).items.map((x) => x.id)).toEqual(['b'])
    expect(index.get('a')).toMatchObject({ status: 'anchored', batchId: '1', timestamp: '1970-01-01T00:01:40.000Z' })
    expect(index.proof('c')).toBeUndefined()
    expect(index.proof('a')).toMatchObject({ batchId: '1', index: 1 })
  })

  it('counts an id anchored a second time as a duplicate and keeps the first anchoring', () => {
    const index = new AnomalyIndex()
    index.applyBatch(batchEvent(1n, [rec('x', 'e', 1)]))
    index.applyBatch(batchEvent(2n, [rec('x', 'e', 1), rec('y', 'e', 2)]))
    index.applyBatch(batchEvent(2n, [rec('x', 'e', 1)])) // the same event again: ignored
    expect(index.duplicates).toBe(1)
    expect(index.anchored).toBe(2)
    expect(index.get('x')?.batchId).toBe('1')
  })

  it('forgets chain records on reset but keeps local ones, pending again', () => {
    const index = new AnomalyIndex()
    index.addLocal(rec('l', 'e', 5))
    index.applyBatch(batchEvent(1n, [rec('l', 'e', 5), rec('r', 'e', 6)]))
    index.resetChain()
    expect(index.list().items.map((x) => [x.id, x.status])).toEqual([['l', 'pending']])
    expect(index.batchCount).toBe(0)
  })

  it('rejects a bad limit, time or cursor with a typed error', () => {
    const index = new AnomalyIndex()
    for (const q of [{ limit: 0 }, { limit: 1001 }, { limit: 'ten' }, { from: 'yesterday' }, { cursor: 'nope' }]) {
      expect(() => index.list(q)).toThrow(expect.objectContaining({ code: 'LWC_INVALID_INPUT' }))
    }
  })

  it('pages through any set of records exactly once each, in order, for any filter and page size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ endpoint: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 20 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        (rows, limit, endpoint, from, to) => {
          const index = new AnomalyIndex()
          const records = rows.map((r, i) => rec(`id${String(i).padStart(3, '0')}`, r.endpoint, r.t))
          // Half local, half from a batch, in any order: the listing must not care.
          records.forEach((r, i) => i % 2 === 0 && index.addLocal(r))
          if (records.length > 0) index.applyBatch(batchEvent(1n, records.filter((_, i) => i % 2 === 1).concat(records.length > 1 ? [] : records)))
          const expected = records
            .filter((r) => (endpoint === undefined || r.endpoint === endpoint) && (from === undefined || r.collectedAt >= from) && (to === undefined || r.collectedAt <= to))
            .sort((x, y) => x.collectedAt - y.collectedAt || (x.id < y.id ? -1 : 1))
            .map((r) => r.id)
          expect(allPages(index, { limit, endpoint, from, to })).toEqual(expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})
