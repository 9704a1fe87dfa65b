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
      expect(ledger.proof(id)?.proof.length).toBeGreaterThan(0)
      expect(await ledger.verify(id)).toBe('VALID')
    }
  })
})
