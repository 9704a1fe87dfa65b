import { describe, expect, it } from 'vitest'
import { QueueFullError } from './errors.js'
import { createRequestQueue } from './request-queue.js'

describe('request queue (queue mode)', () => {
  it('holds requests of a sleeping device, runs them one at a time in order when it wakes', async () => {
    const t = { now: 0 }
    const q = createRequestQueue({ awakeMs: 1_000, now: () => t.now })
    const order: string[] = []
    let release!: () => void
    const first = q.submit('d', () => new Promise<string>((r) => (release = () => r('a'))).then((v) => (order.push(v), v)))
    const second = q.submit('d', async () => (order.push('b'), 'b'))
    expect(first.immediate).toBe(false)
    expect(q.queued('d')).toBe(2)
    q.wake('d')
    expect(q.queued('d')).toBe(1) // the second waits for the first's answer
    release()
    expect(await Promise.all([first.result, second.result])).toEqual(['a', 'b'])
    expect(order).toEqual(['a', 'b'])
    expect(q.submit('d', async () => 'c').immediate).toBe(true)
    t.now = 1_000
    expect(q.isAwake('d')).toBe(false)
    expect(q.submit('d', async () => 'd').immediate).toBe(false)
  })

  it('bounds the queue per device and rejects what waits when the device is forgotten', async () => {
    const q = createRequestQueue({ maxPerDevice: 1 })
    const waiting = q.submit('d', async () => 1)
    expect(() => q.submit('d', async () => 2)).toThrow(QueueFullError)
    expect(q.submit('other', async () => 3).immediate).toBe(false)
    q.forget('d', new Error('gone'))
    await expect(waiting.result).rejects.toThrow('gone')
    expect(q.queued('d')).toBe(0)
    expect(q.queued('other')).toBe(1)
  })

  it('goes back to sleep when told, and a failing request does not stop the next', async () => {
    const q = createRequestQueue()
    q.wake('d')
    q.sleep('d')
    const bad = q.submit('d', async () => {
      throw new Error('no answer')
    })
    const good = q.submit('d', async () => 'ok')
    q.wake('d')
    await expect(bad.result).rejects.toThrow('no answer')
    expect(await good.result).toBe('ok')
  })
})
