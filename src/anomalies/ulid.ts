import { monotonicFactory } from 'ulidx'

/**
 * Returns a generator of monotonic ULIDs (48-bit ms time + 80 random bits, Crockford base32):
 * ids sort by acceptance time, and within one millisecond (or when the clock steps back) the
 * random part is incremented so that ids from one generator never repeat or go backwards.
 * ulidx's monotonic factory does exactly this (it replaced our own encoder); `now` stays
 * injectable for tests.
 */
export function createUlidGenerator(now: () => number = Date.now): () => string {
  const next = monotonicFactory()
  return () => next(now())
}
