import { performance } from 'node:perf_hooks'

/**
 * Runs `fn` and reports its wall time and the longest gap between ticks of a `tickMs` timer on
 * this thread meanwhile: how long the event loop was blocked at a stretch. The gap from the last
 * tick to the end counts too, so a synchronous `fn` reports its whole run.
 */
export async function longestStall<T>(fn: () => T | Promise<T>, tickMs = 5): Promise<{ value: T; ms: number; stallMs: number }> {
  let last = performance.now()
  let stallMs = 0
  const tick = setInterval(() => {
    const now = performance.now()
    stallMs = Math.max(stallMs, now - last)
    last = now
  }, tickMs)
  const t0 = performance.now()
  try {
    const value = await fn()
    const end = performance.now()
    return { value, ms: end - t0, stallMs: Math.max(stallMs, end - last) }
  } finally {
    clearInterval(tick)
  }
}
