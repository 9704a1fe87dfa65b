import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type AnomalyLedger, type LedgerEvent } from '../../src/anomalies/ledger.js'
import { anchoredOnChain, eventually, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
const ledgers: AnomalyLedger[] = []
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await Promise.allSettled(ledgers.map((l) => l.stop()))
  await c?.close()
})

const rpc = (method: string, params: unknown[] = []) => c.d.conn.publicClient.request({ method: method as never, params: params as never })
const ledgerIn = (name: string) => {
  const l = createAnomalyLedger({
    conn: c.d.conn,
    address: c.d.anomalyStore,
    deployBlock: c.d.deployBlock,
    dataDir: `${c.dir}/${name}`,
    logger: c.logger,
    batchIntervalMs: 20,
    pollIntervalMs: 50,
    fees: { bumpAfterBlocks: 2 },
  })
  ledgers.push(l)
  return l
}

describe('anomaly ledger fee policy', () => {
  it('rides out a ×5 base-fee spike by replacing its stuck transaction at higher fees', async () => {
    await rpc('evm_setAutomine', [false])
    try {
      // A base fee well above the tip, so "2 × base + tip" is about 2 × base.
      await rpc('anvil_setNextBlockBaseFeePerGas', [`0x${(20_000_000_000n).toString(16)}`])
      await rpc('anvil_mine', ['0x1'])
      const ledger = ledgerIn('spike')
      const events: LedgerEvent[] = []
      ledger.subscribe((e) => events.push(e))
      await ledger.start()
      const base = (await c.d.conn.publicClient.getBlock({ blockTag: 'latest' })).baseFeePerGas!
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.accept({ endpoint: 'fee', level: 1, data: { i } }).then((r) => r.id)))
      // Signed at about 2 × base: then every block comes at 5 × base, so it cannot be included.
      await eventually(() => ledger.stats().inflight === 20)
      const address = c.d.conn.account!.address
      const stuckNonce = await c.d.conn.publicClient.getTransactionCount({ address, blockTag: 'latest' })
      const mineAtSpike = async () => {
        await rpc('anvil_setNextBlockBaseFeePerGas', [`0x${(base * 5n).toString(16)}`])
        await rpc('anvil_mine', ['0x1'])
      }
      for (let k = 0; k < 12 && !events.some((e) => e.type === 'anchored'); k++) {
        await mineAtSpike()
        // Let the ledger look at the new head before the next block.
        const seen = await c.d.conn.publicClient.getBlockNumber({ cacheTime: 0 })
        await eventually(() => (ledger.stats().chain.lastSeenHead ?? 0) >= Number(seen), 10_000)
        await new Promise((r) => setTimeout(r, 150))
      }
      await eventually(() => ids.every((id) => ledger.get(id)?.status === 'anchored'))
      const landed = ledger.get(ids[0])!.txHash as `0x${string}`
      const tx = await c.d.conn.publicClient.getTransaction({ hash: landed })
      expect(tx.nonce).toBe(stuckNonce)
      expect(tx.maxFeePerGas!).toBeGreaterThanOrEqual(base * 5n)
      // By a replacement journaled for the stuck batch, not by a new batch.
      const journal = readFileSync(join(c.dir, 'spike', 'anchor-journal.jsonl'), 'utf8')
      expect(journal).toMatch(/"t":"replaced"/)
      const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
      expect(ids.map((id) => onChain.filter((x) => x === id).length)).toEqual(ids.map(() => 1))
    } finally {
      await rpc('evm_setAutomine', [true])
    }
  })

  it('says once, clearly, that the signer has no funds, and anchors once it is funded again', async () => {
    const address = c.d.conn.account!.address
    const balance = await c.d.conn.publicClient.getBalance({ address })
    await rpc('anvil_setBalance', [address, '0x0'])
    const ledger = ledgerIn('poor')
    await ledger.start()
    const { id } = await ledger.accept({ endpoint: 'poor', level: 1, data: 1 })
    await eventually(() => ledger.stats().lastErrorCode === 'LWC_INSUFFICIENT_FUNDS')
    expect(ledger.stats().lastError).toMatch(/^the signer 0x[0-9a-fA-F]{40} has insufficient funds for gas/)
    expect(ledger.get(id)?.status).toBe('pending')
    await rpc('anvil_setBalance', [address, `0x${balance.toString(16)}`])
    await eventually(() => ledger.get(id)?.status === 'anchored')
    expect(ledger.stats().lastError).toBeUndefined()
  })
})
