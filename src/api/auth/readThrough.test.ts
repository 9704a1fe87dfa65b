import { describe, expect, it } from 'vitest'
import type { UserView } from '../../chain/view/types.js'
import { createReadThrough } from './readThrough.js'

const alice: UserView = { username: 'alice', role: 2, roleName: 'user', emailHash: '0x00', version: 1 }

describe('login read-through', () => {
  it('finds a user the view gets only after one refresh round', async () => {
    const view = new Map<string, UserView>()
    const rt = createReadThrough({ refresh: async () => void view.set('alice', alice), minIntervalMs: 0 })
    expect(await rt.lookup('alice', (a) => view.get(a))).toBe(alice)
    expect(rt.rounds()).toBe(1)
    // Found in the view: no round.
    expect(await rt.lookup('alice', (a) => view.get(a))).toBe(alice)
    expect(rt.rounds()).toBe(1)
  })

  it('shares one round among concurrent misses and spaces rounds by minIntervalMs', async () => {
    let calls = 0
    const rt = createReadThrough({ refresh: async () => void calls++, minIntervalMs: 100 })
    const t0 = Date.now()
    await Promise.all(Array.from({ length: 20 }, (_, i) => rt.lookup(`nobody-${i}`, () => undefined)))
    expect(calls).toBe(1)
    await Promise.all(Array.from({ length: 20 }, (_, i) => rt.lookup(`again-${i}`, () => undefined)))
    expect(calls).toBe(2)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95)
  })

  it('answers a miss when the round fails or takes longer than the timeout', async () => {
    const failing = createReadThrough({ refresh: async () => Promise.reject(new Error('rpc down')), minIntervalMs: 0 })
    expect(await failing.lookup('alice', () => undefined)).toBeUndefined()
    const slow = createReadThrough({ refresh: () => new Promise(() => {}), minIntervalMs: 0, timeoutMs: 20 })
    expect(await slow.lookup('alice', () => undefined)).toBeUndefined()
  })
})
