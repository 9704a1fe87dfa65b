import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IdQueue } from './idQueue.js'

describe('IdQueue', () => {
  it('behaves like an array used as a FIFO, whatever the mix of push, shift and unshift', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('push' as const), n: fc.integer({ min: 1, max: 6000 }) }),
      fc.record({ k: fc.constant('shift' as const), n: fc.integer({ min: 0, max: 7000 }) }),
      fc.record({ k: fc.constant('unshift' as const), n: fc.integer({ min: 0, max: 5 }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const q = new IdQueue(['a', 'b'])
        let model = ['a', 'b']
        let next = 0
        for (const o of ops) {
          if (o.k === 'push') for (let i = 0; i < o.n; i++) { const id = `x${next++}`; q.push(id); model.push(id) }
          else if (o.k === 'shift') { q.shift(o.n); model = model.slice(o.n) }
          else { const ids = Array.from({ length: o.n }, () => `u${next++}`); q.unshift(ids); model = ids.concat(model) }
          expect(q.length).toBe(model.length)
        }
        expect(Array.from({ length: q.length }, (_, i) => q.at(i))).toEqual(model)
      }),
      { numRuns: 100 },
    )
  })
})
