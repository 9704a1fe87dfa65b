import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PublicClient } from 'viem'
import type { CreateAnomalyLedgerOptions } from '../../src/anomalies/ledger.js'
import { MAX_DATA_BYTES } from '../../src/anomalies/record.js'
import { givenLedgerChain, ledgerOn, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

const ledgerIn = (name: string, extra: Partial<CreateAnomalyLedgerOptions> = {}) => ledgerOn(c, name, extra)

/** The test chain's client, counting its gas estimates. */
function countingEstimates(): { conn: typeof c.d.conn; estimates: () => number } {
  let n = 0
  const client = c.d.conn.publicClient
  const publicClient = new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'estimateGas') return (...args: Parameters<PublicClient['estimateGas']>) => (n++, target.estimateGas(...args))
      return Reflect.get(target, key, receiver)
    },
  })
  return { conn: { ...c.d.conn, publicClient }, estimates: () => n }
}

describe('anchoring pace', () => {
  it('sends a batch as soon as its records fill 120 KiB, and anchors it in the same round, long before the interval', async () => {
    // A minute between rounds: only a full batch may go before it.
    const ledger = ledgerIn('full-by-bytes', { batchIntervalMs: 60_000 })
    await ledger.start()
    try {
      const anchored = new Set<string>()
      ledger.subscribe((e) => {
        if (e.type === 'anchored') for (const id of e.ids) anchored.add(id)
      })
      // 16 records of ~8 KB: more bytes than one transaction takes, far fewer records than 1,000.
      const big = { blob: 'x'.repeat(MAX_DATA_BYTES - 20) }
      const ids = await Promise.all(Array.from({ length: 16 }, (_, i) => ledger.accept({ endpoint: `dev-${i}`, level: 3, data: big }).then((r) => r.id)))
      await expect.poll(() => ids.every((id) => anchored.has(id)), { timeout: 30_000, interval: 50 }).toBe(true)
    } finally {
      await ledger.stop()
    }
  })

  it('estimates gas for the largest batch only, and reuses that limit for smaller ones', async () => {
    const { conn, estimates } = countingEstimates()
    // No rounds but the ones flush() runs, so each post is one batch of exactly that size.
    const ledger = ledgerIn('gas-ceiling', { conn, batchIntervalMs: 60_000 })
    await ledger.start()
    try {
      const post = async (n: number, tag: string) => {
        const ids = await Promise.all(Array.from({ length: n }, (_, i) => ledger.accept({ endpoint: `${tag}-${i}`, level: 2, data: { i } }).then((r) => r.id)))
        await ledger.flush()
        for (const id of ids) expect(ledger.get(id)?.status).toBe('anchored')
      }
      await post(200, 'first')
      expect(estimates()).toBe(1)
      await post(50, 'smaller')
      await post(1, 'one')
      expect(estimates()).toBe(1)
      // Larger than any batch so far: estimated again.
      await post(400, 'larger')
      expect(estimates()).toBeGreaterThanOrEqual(2)
    } finally {
      await ledger.stop()
    }
  })
})
