import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hash } from 'viem'
import type { CreateAnomalyLedgerOptions, LedgerEvent } from '../../src/anomalies/ledger.js'
import { MAX_DATA_BYTES } from '../../src/anomalies/record.js'
import { anchoredOnChain, givenLedgerChain, ledgerOn, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

const ledgerIn = (name: string, extra: Partial<CreateAnomalyLedgerOptions> = {}) => ledgerOn(c, name, { batchIntervalMs: 20, ...extra })

/** Sizes (bytes) of the anchoring transactions that carried `ids`. */
async function txSizesOf(ids: Set<string>, txHashes: Iterable<Hash>): Promise<number[]> {
  const sizes: number[] = []
  for (const hash of new Set(txHashes)) {
    const tx = await c.d.conn.publicClient.getTransaction({ hash })
    const raw = await c.d.conn.publicClient.request({ method: 'eth_getRawTransactionByHash' as never, params: [hash] as never })
    sizes.push(((raw as string).length - 2) / 2)
    expect(tx.to?.toLowerCase()).toBe(c.d.anomalyStore.toLowerCase())
  }
  expect(ids.size).toBeGreaterThan(0)
  return sizes
}

describe('anchor batches within what nodes accept', () => {
  it('anchors 8 KB records in transactions of at most 120 KiB each', async () => {
    const ledger = ledgerIn('big')
    await ledger.start()
    try {
      const big = { blob: 'x'.repeat(MAX_DATA_BYTES - 20) }
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.accept({ endpoint: `dev-${i}`, level: 3, data: big }).then((r) => r.id)))
      await ledger.flush()
      expect(ledger.stats()).toMatchObject({ outboxDepth: 0, duplicates: 0, quarantined: 0 })
      const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
      for (const id of ids) expect(onChain).toContain(id)
      const sizes = await txSizesOf(new Set(ids), ids.map((id) => ledger.get(id)!.txHash as Hash))
      expect(Math.max(...sizes)).toBeLessThanOrEqual(120 * 1024)
      // 40 × 8 KB cannot go in one transaction: it took several, each nearly full.
      expect(sizes.length).toBeGreaterThanOrEqual(3)
      expect(await ledger.verify(ids[17])).toBe('VALID')
    } finally {
      await ledger.stop()
    }
  })

  it('quarantines a record that can never fit, with a clear error, and anchors the rest; a restart keeps it out', async () => {
    const opts = { maxTxBytes: 4_096 }
    const ledger = ledgerIn('quarantine', opts)
    const events: LedgerEvent[] = []
    ledger.subscribe((e) => events.push(e))
    await ledger.start()
    let tooBig: string
    const small: string[] = []
    try {
      small.push((await ledger.accept({ endpoint: 'a', level: 1, data: 1 })).id)
      tooBig = (await ledger.accept({ endpoint: 'b', level: 1, data: 'y'.repeat(6_000) })).id
      small.push((await ledger.accept({ endpoint: 'c', level: 1, data: 2 })).id)
      await ledger.flush()
      expect(ledger.get(tooBig)).toMatchObject({ status: 'quarantined', error: expect.stringMatching(/over the 4096-byte limit/) })
      for (const id of small) expect(ledger.get(id)?.status).toBe('anchored')
      // Reported once, as an event (for SSE), with the same reason; and listed as quarantined, not pending.
      const q = events.filter((e) => e.type === 'quarantined')
      expect(q).toEqual([{ type: 'quarantined', ids: [tooBig], reason: ledger.get(tooBig)!.error }])
      expect(ledger.list().items.find((i) => i.id === tooBig)).toMatchObject({ status: 'quarantined', error: expect.stringMatching(/over the 4096-byte limit/) })
      expect(ledger.stats()).toMatchObject({ outboxDepth: 0, quarantined: 1 })
    } finally {
      await ledger.stop()
    }
    const again = ledgerIn('quarantine', opts)
    await again.start()
    try {
      expect(again.stats()).toMatchObject({ outboxDepth: 0, quarantined: 1 })
      expect(again.get(tooBig)?.status).toBe('quarantined')
      expect(again.list().items.find((i) => i.id === tooBig)?.status).toBe('quarantined')
    } finally {
      await again.stop()
    }
  })

  it('splits a batch over the gas cap, and quarantines a record whose transaction alone is over it', async () => {
    // About 26 k gas of calldata and log per 400-byte record, plus 60 k for the call: 8 fit in 300 k.
    const ledger = ledgerIn('gas', { maxTxGas: 300_000n })
    await ledger.start()
    try {
      const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.accept({ endpoint: `g-${i}`, level: 1, data: 'z'.repeat(400) }).then((r) => r.id)))
      const heavy = (await ledger.accept({ endpoint: 'heavy', level: 1, data: 'w'.repeat(8_000) })).id
      await ledger.flush()
      for (const id of ids) expect(ledger.get(id)?.status).toBe('anchored')
      expect(new Set(ids.map((id) => ledger.get(id)!.txHash)).size).toBeGreaterThan(1)
      expect(ledger.get(heavy)).toMatchObject({ status: 'quarantined', error: expect.stringMatching(/gas/) })
      for (const hash of new Set(ids.map((id) => ledger.get(id)!.txHash as Hash))) {
        const tx = await c.d.conn.publicClient.getTransaction({ hash })
        expect(tx.gas).toBeLessThanOrEqual(300_000n)
      }
    } finally {
      await ledger.stop()
    }
  })
})
