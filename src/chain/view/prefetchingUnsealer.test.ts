import { bytesToHex, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { SealingKeyRing } from '../keys/keyRing.js'
import { generateSealingKeyPair, seal, sealingKeyToHex, UnsealError } from '../sealing.js'
import type { OpenOutcome, SealingPool } from '../sealingPool.js'
import { createPrefetchingUnsealer, PREFETCH_MIN } from './prefetchingUnsealer.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined)
const sealTo = (pub: Uint8Array, v: string, ctx: string): Hex => bytesToHex(seal(pub, enc(v), ctx))

/** A pool that answers `answer` for every item and counts its calls. */
function stubPool(answer: (i: number) => OpenOutcome | 'reject') {
  const calls: number[] = []
  const pool: Pick<SealingPool, 'openMany'> = {
    async openMany(_keys, items) {
      calls.push(items.length)
      if (answer(0) === 'reject') throw new Error('pool down')
      return items.map((_, i) => answer(i) as OpenOutcome)
    },
  }
  return { pool, calls }
}

describe('prefetching unsealer', () => {
  const a = generateSealingKeyPair()
  const refs = Array.from({ length: PREFETCH_MIN }, (_, i) => ({ sealed: sealTo(a.publicKey, `v${i}`, `c:${i}`), context: `c:${i}` }))

  it('serves what the pool opened, once, then opens inline', async () => {
    const { pool, calls } = stubPool(() => ({ value: enc('from-pool'), key: 0 }))
    const u = createPrefetchingUnsealer(new SealingKeyRing(a.privateKey), pool)
    await u.prefetch(refs)
    expect(calls).toEqual([PREFETCH_MIN])
    expect(dec(u.open(refs[0].sealed, refs[0].context)?.value)).toBe('from-pool')
    expect(u.open(refs[0].sealed, refs[0].context)).toMatchObject({ publicKey: sealingKeyToHex(a.publicKey).toLowerCase() })
    expect(dec(u.open(refs[0].sealed, refs[0].context)?.value)).toBe('v0')
  })

  it('opens a small batch inline, and everything inline when the pool fails', async () => {
    const small = stubPool(() => ({ value: enc('from-pool'), key: 0 }))
    const u = createPrefetchingUnsealer(new SealingKeyRing(a.privateKey), small.pool)
    await u.prefetch(refs.slice(0, PREFETCH_MIN - 1))
    expect(small.calls).toEqual([])
    const down = stubPool(() => 'reject')
    const v = createPrefetchingUnsealer(new SealingKeyRing(a.privateKey), down.pool)
    await v.prefetch(refs)
    expect(down.calls).toEqual([PREFETCH_MIN])
    expect(refs.map((r) => dec(v.open(r.sealed, r.context)?.value))).toEqual(refs.map((_, i) => `v${i}`))
  })

  it('a value the pool could not open with the keys of then opens inline with a key the ring adopted since', async () => {
    const b = generateSealingKeyPair()
    const ring = new SealingKeyRing(a.privateKey, [], () => [b.privateKey])
    const { pool } = stubPool(() => ({ error: new UnsealError('wrong key, wrong context or tampered data') }))
    const u = createPrefetchingUnsealer(ring, pool)
    const toB = Array.from({ length: PREFETCH_MIN }, (_, i) => ({ sealed: sealTo(b.publicKey, `b${i}`, `c:${i}`), context: `c:${i}` }))
    await u.prefetch(toB)
    // Failed with key a only, and the ring holds only a: final.
    expect(u.open(toB[1].sealed, toB[1].context)).toBeUndefined()
    // A SealingKeyChanged in the same chunk made the ring load b: opened inline.
    ring.adopt(sealingKeyToHex(b.publicKey))
    expect(u.open(toB[0].sealed, toB[0].context)).toEqual({ value: enc('b0'), publicKey: sealingKeyToHex(b.publicKey).toLowerCase() })
  })

  it('with shareInline opens half in the pool and half itself, and serves both halves once', async () => {
    const { pool, calls } = stubPool(() => ({ value: enc('from-pool'), key: 0 }))
    const u = createPrefetchingUnsealer(new SealingKeyRing(a.privateKey), pool)
    const many = Array.from({ length: 301 }, (_, i) => ({ sealed: sealTo(a.publicKey, `m${i}`, `m:${i}`), context: `m:${i}` }))
    await u.prefetch(many, { shareInline: true })
    expect(calls).toEqual([151])
    expect(dec(u.open(many[0].sealed, many[0].context)?.value)).toBe('from-pool')
    // The loop's own half was opened with the ring's key, and is kept as the pool's is.
    expect(u.open(many[300].sealed, many[300].context)).toEqual({ value: enc('m300'), publicKey: sealingKeyToHex(a.publicKey).toLowerCase() })
  })
})
