import { describe, expect, it } from 'vitest'
import { ExpiringMap } from './expiring-map.js'

describe('ExpiringMap', () => {
  it('forgets entries after their lifetime', async () => {
    const m = new ExpiringMap<string, number>(30)
    m.set('a', 1)
    expect(m.get('a')).toBe(1)
    await new Promise((r) => setTimeout(r, 50))
    expect(m.get('a')).toBeUndefined()
  })

  it('drops the oldest entry beyond its capacity', () => {
    const m = new ExpiringMap<number, number>(60_000, 3)
    for (let i = 0; i < 5; i++) m.set(i, i)
    expect(m.size).toBe(3)
    expect(m.get(0)).toBeUndefined()
    expect(m.get(4)).toBe(4)
  })
})
