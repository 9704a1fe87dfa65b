import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger } from '../../src/anomalies/ledger.js'
import { givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

const make = (dataDir: string) =>
  createAnomalyLedger({ conn: c.d.conn, address: c.d.anomalyStore, deployBlock: c.d.deployBlock, dataDir, logger: c.logger, batchIntervalMs: 10 })

describe('anomaly index snapshot', () => {
  it('resumes the chain index from its snapshot, and reloads from logs when the snapshot’s block is not on this chain', async () => {
    const dir = join(c.dir, 'snap')
    let ledger = make(dir)
    await ledger.start()
    const ids: string[] = []
    for (let k = 0; k < 3; k++) {
      ids.push(...(await Promise.all([1, 2, 3, 4].map((i) => ledger.accept({ endpoint: 'snap', level: 1, data: { k, i } }).then((r) => r.id)))))
      await ledger.flush()
    }
    const batches = ledger.stats().batches
    await ledger.stop()
    const path = join(dir, 'anomaly-index.json')
    const snap = JSON.parse(readFileSync(path, 'utf8'))
    expect(snap.batches.flatMap((b: { records: { id: string }[] }) => b.records.map((r) => r.id)).sort()).toEqual([...ids].sort())

    ledger = make(dir)
    await ledger.start()
    expect(ledger.stats()).toMatchObject({ anchored: 12, batches, duplicates: 0, outboxDepth: 0 })
    expect(await ledger.verify(ids[5])).toBe('VALID')
    await ledger.stop()

    // A snapshot taken on another chain (its cursor block has another hash) is not trusted.
    writeFileSync(path, JSON.stringify({ ...snap, cursor: { ...snap.cursor, hash: `0x${'ab'.repeat(32)}` }, batches: [{ ...snap.batches[0], batchId: '99' }] }))
    ledger = make(dir)
    await ledger.start()
    expect(ledger.stats()).toMatchObject({ anchored: 12, batches, duplicates: 0 })
    expect(ledger.get(ids[0])?.batchId).not.toBe('99')
    await ledger.stop()
  })
})
