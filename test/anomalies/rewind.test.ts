import { createTestClient, http } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger } from '../../src/anomalies/ledger.js'
import { anchoredOnChain, eventually, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

describe('anomaly ledger on a rewound chain', () => {
  it('anchors again the records of a batch the chain lost, once', async () => {
    const test = createTestClient({ mode: 'anvil', chain: foundry, transport: http(c.anvil.rpcUrl) })
    const ledger = createAnomalyLedger({
      conn: c.d.conn,
      address: c.d.anomalyStore,
      deployBlock: c.d.deployBlock,
      dataDir: `${c.dir}/rewind`,
      logger: c.logger,
      batchIntervalMs: 20,
      pollIntervalMs: 50,
    })
    await ledger.start()
    try {
      const before = await test.snapshot()
      const ids = await Promise.all([1, 2, 3].map((i) => ledger.accept({ endpoint: 'rw', level: 1, data: { i } }).then((r) => r.id)))
      await ledger.flush()
      expect((await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)).toEqual(expect.arrayContaining(ids))
      // The chain forgets the batch (as a node restored from an older state would).
      await test.revert({ id: before })
      await test.mine({ blocks: 1 })
      await eventually(async () => {
        const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
        return ids.every((id) => onChain.includes(id))
      })
      const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
      expect(ids.map((id) => onChain.filter((x) => x === id).length)).toEqual([1, 1, 1])
      await eventually(() => ids.every((id) => ledger.get(id)?.status === 'anchored'))
      expect(await ledger.verify(ids[0])).toBe('VALID')
    } finally {
      await ledger.stop()
    }
  })
})
