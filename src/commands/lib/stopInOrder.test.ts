import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../logger.js'
import { ShutdownError, stopInOrder } from './stopInOrder.js'

describe('stopInOrder', () => {
  it('stops every step in the order given', async () => {
    const order: string[] = []
    await stopInOrder(
      [
        { name: 'rules', stop: async () => void order.push('rules') },
        { name: 'never started', stop: undefined },
        { name: 'daemon', stop: () => void order.push('daemon') },
        { name: 'view', stop: async () => void order.push('view') },
      ],
      { logger: silentLogger() },
    )
    expect(order).toEqual(['rules', 'daemon', 'view'])
  })

  it('runs the later steps after one fails, then reports which failed', async () => {
    const order: string[] = []
    const run = stopInOrder(
      [
        { name: 'daemon', stop: async () => { throw new Error('socket busy') } },
        { name: 'ledger', stop: async () => void order.push('ledger') },
        { name: 'view', stop: () => { throw new Error('poll stuck') } },
      ],
      { logger: silentLogger() },
    )
    await expect(run).rejects.toBeInstanceOf(ShutdownError)
    await expect(run).rejects.toMatchObject({ code: 'LWC_SHUTDOWN', failed: ['daemon', 'view'] })
    expect(order).toEqual(['ledger'])
  })

  it('bounds a step that never finishes and goes on with the next', async () => {
    const order: string[] = []
    const run = stopInOrder(
      [
        { name: 'http', stop: () => new Promise(() => {}) },
        { name: 'view', stop: async () => void order.push('view') },
      ],
      { logger: silentLogger(), stepTimeoutMs: 50 },
    )
    await expect(run).rejects.toMatchObject({ failed: ['http'], cause: expect.objectContaining({ code: 'LWC_STOP_TIMEOUT' }) })
    expect(order).toEqual(['view'])
  })
})
