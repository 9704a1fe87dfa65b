// The API answers lists either as a bare array or wrapped ({items}, {clients}, {users}); the
// console accepts both so it does not break on a cosmetic change.

/** The array inside a list answer. */
export function listOf<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[]
  if (body && typeof body === 'object') {
    for (const k of ['items', ...keys]) {
      const v = (body as Record<string, unknown>)[k]
      if (Array.isArray(v)) return v as T[]
    }
  }
  return []
}
