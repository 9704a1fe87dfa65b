import { describe, expect, it } from 'vitest'
import { startEventLoopWatchdog } from './eventLoopWatchdog.js'

describe('event loop watchdog', () => {
  it('logs a blocked loop with its duration', async () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = []
    const logger = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as never
    const dog = startEventLoopWatchdog({ logger, thresholdMs: 150, intervalMs: 20 })
    try {
      // Let it tick once unblocked, then hold the loop for 400 ms.
      await new Promise((r) => setTimeout(r, 60))
      const quiet = lines.length
      const until = Date.now() + 400
      while (Date.now() < until) {
        // busy: the loop is blocked
      }
      await new Promise((r) => setTimeout(r, 60))
      const blocked = lines.slice(quiet).find((l) => /^event loop blocked for \d+ ms$/.test(l.msg))
      expect(blocked).toBeDefined()
      expect(blocked!.obj.blockedMs).toBeGreaterThanOrEqual(300)
      expect(dog.stats().longestMs).toBeGreaterThanOrEqual(300)
    } finally {
      dog.stop()
    }
  })
})
