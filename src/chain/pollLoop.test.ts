import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createPollLoop } from './pollLoop.js'

function capturingLogger() {
  const lines: { level: number; msg: string }[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) })
  return { logger, messages: () => lines.map((l) => l.msg) }
}

describe('createPollLoop', () => {
  it('answers a syncNow made during a round with one more round, shared by every call made meanwhile', async () => {
    let rounds = 0
    let release!: () => void
    const loop = createPollLoop({
      round: () => {
        rounds++
        return rounds === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve()
      },
      pollIntervalMs: 60_000,
      label: 'test',
    })
    const first = loop.syncNow()
    // Made while round 1 runs (it may have read the chain before what these callers wrote).
    const b = loop.syncNow()
    const c = loop.syncNow()
    release()
    await first
    await Promise.all([b, c])
    expect(rounds).toBe(2)
    await loop.syncNow()
    expect(rounds).toBe(3)
  })

  it('reports failure once per message and recovery once, and tracks health', async () => {
    const { logger, messages } = capturingLogger()
    let fail = true
    let successes = 0
    const loop = createPollLoop({
      round: async () => {
        if (fail) throw new Error('connection refused')
      },
      pollIntervalMs: 60_000,
      label: 'test follower',
      logger,
      onSuccess: () => void successes++,
    })
    expect(loop.health()).toEqual({ healthy: false, lastError: undefined, lastSuccessAt: undefined })
    await expect(loop.syncNow()).rejects.toMatchObject({ code: expect.stringMatching(/^LWC_/) })
    await expect(loop.syncNow()).rejects.toBeDefined()
    expect(loop.health().healthy).toBe(false)
    expect(loop.health().lastError).toBeDefined()
    expect(loop.lag(5n, 3n)).toMatchObject({ behindBlocks: 2, lastSyncedBlock: 3, lastSeenHead: 5, healthy: false, sinceMs: Infinity })
    fail = false
    await loop.syncNow()
    expect(successes).toBe(1)
    const h = loop.health()
    expect(h.healthy).toBe(true)
    expect(h.lastError).toBeUndefined()
    expect(h.lastSuccessAt).toBeTypeOf('number')
    expect(messages().filter((m) => m.startsWith('test follower sync failed: '))).toHaveLength(1)
    expect(messages().filter((m) => m === 'test follower back in sync')).toHaveLength(1)
  })

  it('starts once and stops after the round in flight', async () => {
    let release!: () => void
    const loop = createPollLoop({ round: () => new Promise<void>((r) => (release = r)), pollIntervalMs: 60_000, label: 'test' })
    expect(loop.running()).toBe(false)
    loop.start()
    loop.start()
    expect(loop.running()).toBe(true)
    const round = loop.syncNow()
    let stopped = false
    const stopping = loop.stop().then(() => void (stopped = true))
    await Promise.resolve()
    expect(stopped).toBe(false)
    release()
    await Promise.all([round, stopping])
    expect(stopped).toBe(true)
    expect(loop.running()).toBe(false)
  })
})
