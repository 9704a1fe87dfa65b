import { describe, expect, it } from 'vitest'
import { pageOf } from './paging.js'

const names = Array.from({ length: 25 }, (_, i) => `dev-${String(i).padStart(2, '0')}`)
const page = (q: Parameters<typeof pageOf<string>>[1]) => pageOf(names, q, (n) => n, (n) => n)

describe('pageOf', () => {
  it('walks every item once, in key order, page by page', () => {
    const seen: string[] = []
    let cursor: string | undefined
    for (;;) {
      const p = page({ limit: 10, ...(cursor && { cursor }) })
      expect(p.total).toBe(25)
      seen.push(...p.items)
      if (!p.next) break
      cursor = p.next
    }
    expect(seen).toEqual(names)
  })
  it('filters by q, case-insensitively, with total counting matches', () => {
    const p = page({ q: 'DEV-1' })
    expect(p.items).toEqual(names.slice(10, 20))
    expect(p).toMatchObject({ next: null, total: 10 })
  })
  it('keeps its place when the item at the cursor is gone', () => {
    const first = page({ limit: 5 })
    const rest = pageOf(names.filter((n) => n !== 'dev-04'), { limit: 5, cursor: first.next! }, (n) => n, (n) => n)
    expect(rest.items[0]).toBe('dev-05')
  })
  it('refuses a cursor it did not make', () => {
    expect(() => page({ cursor: '!!' })).toThrow(/invalid cursor/)
  })
})
