import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type AnomalyLedger } from '../../src/anomalies/ledger.js'
import { anchoredOnChain, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
let ledger: AnomalyLedger
beforeAll(async () => {
  c = await givenLedgerChain()
  ledger = createAnomalyLedger({
    conn: c.d.conn,
    address: c.d.anomalyStore,
    deployBlock: c.d.deployBlock,
    dataDir: c.dir,
    logger: c.logger,
    batchIntervalMs: 50,
  })
  await ledger.start()
})
afterAll(async () => {
  await ledger?.stop()
  await c?.close()
})

describe('anomaly ledger', () => {
  it('accepts records at once and anchors them in Merkle batches with a proof each', async () => {
    const ids = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        ledger.accept({ endpoint: `dev-${i % 5}`, level: 1 + (i % 3), data: { temp: 40 + i / 10 }, timestamp: 1_700_000_000 + i }).then((r) => r.id),
      ),
    )
    expect(new Set(ids).size).toBe(250)
    await ledger.flush()
    const s = ledger.stats()
    expect(s.outboxDepth).toBe(0)
    expect(s.anchored).toBe(250)
    expect(s.duplicates).toBe(0)
    const onChain = await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)
    expect(onChain.map((r) => r.id).sort()).toEqual([...ids].sort())
    for (const id of [ids[0], ids[137], ids[249]]) {
      expect(ledger.get(id)).toMatchObject({ id, status: 'anchored' })
      // (a batch of one record has an empty proof: its leaf is the root)
      expect(ledger.proof(id)).toMatchObject({ batchId: ledger.get(id)!.batchId, proof: expect.any(Array) })
      expect(await ledger.verify(id)).toBe('VALID')
    }
  })

  it('lists by endpoint and time range with cursor pagination, pending and anchored alike', async () => {
    const base = 1_800_000_000
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push((await ledger.accept({ endpoint: i % 2 ? 'odd' : 'even', level: 1, data: i, timestamp: base + i })).id)
    const pages: string[][] = []
    let cursor: string | undefined
    do {
      const page = ledger.list({ endpoint: 'even', from: base + 4, to: new Date((base + 25) * 1000).toISOString(), limit: 4, cursor })
      pages.push(page.items.map((x) => x.id))
      cursor = page.next
    } while (cursor)
    const expected = ids.filter((_, i) => i % 2 === 0 && i >= 4 && i <= 25)
    expect(pages.flat()).toEqual(expected)
    expect(pages.map((p) => p.length)).toEqual([4, 4, 3])
    await ledger.flush()
    expect(ledger.list({ endpoint: 'odd', from: base, limit: 1000 }).items.every((x) => x.status === 'anchored')).toBe(true)
    expect(() => ledger.list({ cursor: 'garbage' })).toThrow(expect.objectContaining({ code: 'LWC_INVALID_INPUT' }))
  })

  it('refuses invalid input with a typed error and stores nothing', async () => {
    const before = ledger.list({ limit: 1000 }).items.length
    await expect(ledger.accept({ endpoint: 'dev', level: 0, data: {} })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(ledger.accept({ endpoint: '', level: 1, data: {} })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(ledger.accept({ endpoint: 'dev', level: 1, data: {}, timestamp: 'noon' })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    expect(ledger.list({ limit: 1000 }).items.length).toBe(before)
  })

  it('keeps records pending, and says why, when there is no AnomalyStore at the address', async () => {
    const elsewhere = createAnomalyLedger({
      conn: c.d.conn,
      address: '0x00000000000000000000000000000000000a11ce',
      dataDir: `${c.dir}/no-store`,
      logger: c.logger,
      batchIntervalMs: 20,
    })
    await elsewhere.start()
    try {
      const { id } = await elsewhere.accept({ endpoint: 'dev', level: 1, data: {} })
      await expect(elsewhere.flush()).rejects.toMatchObject({ code: 'LWC_ANOMALY_STORE_MISSING' })
      expect(elsewhere.get(id)?.status).toBe('pending')
      expect(elsewhere.stats().outboxDepth).toBe(1)
    } finally {
      await elsewhere.stop()
    }
  })
})
