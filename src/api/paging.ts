/**
 * Keyset paging for the API's lists: `?limit=&cursor=&q=` → `{items, next, total}`. Items are
 * ordered by a string key; the cursor is the last key of the page (base64url), so a page stays
 * right while devices register and leave between requests. `q` keeps the items whose search text
 * contains it (case-insensitive).
 */
import { HttpError } from './errors.js'

/** The query of a paged list. */
export interface PageQuery {
  limit?: number
  cursor?: string
  q?: string
}

/** One page. */
export interface Page<T> {
  items: T[]
  /** Cursor of the next page; null on the last one. */
  next: string | null
  /** Items matching `q` in all pages. */
  total: number
}

export const DEFAULT_PAGE_LIMIT = 100
export const MAX_PAGE_LIMIT = 1_000

/** The querystring schema of a paged list (for the route schema and the OpenAPI document). */
export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT, description: 'items per page' },
  cursor: { type: 'string', maxLength: 2048, description: 'the `next` of the previous page' },
  q: { type: 'string', maxLength: 255, description: 'only items whose name contains this (case-insensitive)' },
} as const

/** The response schema of a paged list of `item`. */
export function pageSchema(item: object): object {
  return {
    type: 'object',
    required: ['items', 'next'],
    properties: {
      items: { type: 'array', items: item },
      next: { type: ['string', 'null'], description: 'cursor of the next page (null: last page)' },
      total: { type: 'integer', description: 'items matching q in all pages' },
    },
  }
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8')
  if (key.length === 0 || Buffer.from(key, 'utf8').toString('base64url') !== cursor) throw new HttpError(400, 'bad_request', 'invalid cursor')
  return key
}

/** Code-point order (not locale order: the cursor comparison must agree with the sort). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** One page of `all`, ordered by `key`, filtered by `text` containing `q`. */
export function pageOf<T>(all: Iterable<T>, query: PageQuery, key: (t: T) => string, text: (t: T) => string): Page<T> {
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT)
  const q = query.q?.trim().toLowerCase()
  const keyed: Array<[string, T]> = []
  for (const t of all) if (!q || text(t).toLowerCase().includes(q)) keyed.push([key(t), t])
  keyed.sort((a, b) => compare(a[0], b[0]))
  let start = 0
  if (query.cursor) {
    const after = decodeCursor(query.cursor)
    // First key greater than the cursor (binary search).
    let lo = 0
    let hi = keyed.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compare(keyed[mid]![0], after) <= 0) lo = mid + 1
      else hi = mid
    }
    start = lo
  }
  const slice = keyed.slice(start, start + limit)
  const more = start + limit < keyed.length
  return { items: slice.map(([, t]) => t), next: more ? Buffer.from(slice[slice.length - 1]![0], 'utf8').toString('base64url') : null, total: keyed.length }
}
