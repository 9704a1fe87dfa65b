import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anchorBatch } from '../../src/chain/anomalies/anchorBatch.js'
import { signAnchorBatch } from '../../src/chain/anomalies/signAnchorBatch.js'
import { createAnomalyLedger } from '../../src/anomalies/ledger.js'
import { buildBatch } from '../../src/anomalies/merkle.js'
import { Outbox } from '../../src/anomalies/outbox.js'
import type { AnomalyRecord } from '../../src/anomalies/record.js'
import { anchoredOnChain, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

const records = (tag: string): AnomalyRecord[] =>
  [1, 2, 3].map((i) => ({ id: `${tag}-${i}`, endpoint: 'dev', level: 1, data: { i }, collectedAt: 1_700_000_000 + i }))

/** Leaves a data dir as a crash would: records accepted, a batch signed and journaled, nothing after. */
async function crashAfterJournal(dir: string, rs: AnomalyRecord[], nonce?: number) {
  const { outbox } = await Outbox.open(dir)
  for (const r of rs) await outbox.appendRecord(r)
  const b = buildBatch(rs)
  const signed = await signAnchorBatch(c.d.conn, { anomalyStore: c.d.anomalyStore, root: b.root, count: b.count, records: b.encoded, nonce })
  outbox.saveRawTx(signed.txHash, signed.raw)
  await outbox.appendJournal({ t: 'sent', txHash: signed.txHash, nonce: signed.nonce, raw: signed.raw, root: b.root, ids: rs.map((r) => r.id) })
  await outbox.close()
  return signed
}

async function restartAndDrain(dir: string) {
  const ledger = createAnomalyLedger({ conn: c.d.conn, address: c.d.anomalyStore, deployBlock: c.d.deployBlock, dataDir: dir, logger: c.logger, batchIntervalMs: 10 })
  await ledger.start()
  await ledger.flush()
  const stats = ledger.stats()
  await ledger.stop()
  return stats
}

const countOnChain = async (ids: string[]) => {
  const all = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
  return ids.map((id) => all.filter((x) => x === id).length)
}

describe('anchoring recovery after a crash', () => {
  it('re-broadcasts a journaled batch that never left, with the same signed bytes', async () => {
    const dir = join(c.dir, 'a')
    const rs = records('a')
    const signed = await crashAfterJournal(dir, rs)
    expect(await restartAndDrain(dir)).toMatchObject({ outboxDepth: 0, duplicates: 0 })
    expect(await countOnChain(rs.map((r) => r.id))).toEqual([1, 1, 1])
    expect((await c.d.conn.publicClient.getTransactionReceipt({ hash: signed.txHash })).status).toBe('success')
  })

  it('does not send again a journaled batch that was mined before the crash', async () => {
    const dir = join(c.dir, 'b')
    const rs = records('b')
    const signed = await crashAfterJournal(dir, rs)
    await c.d.conn.publicClient.sendRawTransaction({ serializedTransaction: signed.raw })
    await c.d.conn.publicClient.waitForTransactionReceipt({ hash: signed.txHash })
    expect(await restartAndDrain(dir)).toMatchObject({ outboxDepth: 0, duplicates: 0 })
    expect(await countOnChain(rs.map((r) => r.id))).toEqual([1, 1, 1])
  })

  it('queues again the records of a batch whose nonce another transaction took, and anchors them once', async () => {
    const dir = join(c.dir, 'c')
    const rs = records('c')
    const nonce = await c.d.conn.publicClient.getTransactionCount({ address: c.d.conn.account!.address, blockTag: 'pending' })
    await crashAfterJournal(dir, rs, nonce)
    // Someone else (the CLI, another ledger on this key) uses that nonce first.
    const other = buildBatch(records('other'))
    await anchorBatch(c.d.conn, { anomalyStore: c.d.anomalyStore, root: other.root, count: other.count, records: other.encoded })
    expect(await restartAndDrain(dir)).toMatchObject({ outboxDepth: 0, duplicates: 0 })
    expect(await countOnChain(rs.map((r) => r.id))).toEqual([1, 1, 1])
    expect(readFileSync(join(dir, 'anchor-journal.jsonl'), 'utf8')).toMatch(/"t":"dropped"/)
  })
})
