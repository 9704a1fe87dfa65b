import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type CreateAnomalyLedgerOptions } from '../../src/anomalies/ledger.js'
import { MAX_DATA_BYTES } from '../../src/anomalies/record.js'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { every, startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js'
import { anchoredOnChain, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
let proxy: RpcProxy
let conn: ChainConnection
beforeAll(async () => {
  c = await givenLedgerChain()
  proxy = await startRpcProxy({ upstream: c.anvil.rpcUrl })
  conn = await connectChain({ rpcUrl: proxy.url, timeoutMs: 5_000 })
})
afterAll(async () => {
  await proxy?.close()
  await c?.close()
})

const ledgerIn = (name: string, extra: Partial<CreateAnomalyLedgerOptions> = {}) =>
  createAnomalyLedger({ conn, address: c.d.anomalyStore, deployBlock: c.d.deployBlock, dataDir: join(c.dir, name), logger: c.logger, batchIntervalMs: 20, pollIntervalMs: 100, ...extra })

const onChainIds = async () => (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)

describe('anomaly ledger through a hosted-provider proxy', () => {
  it('learns the pool size limit from an "oversized data" refusal and anchors everything in smaller transactions', async () => {
    // Configured above what the node takes: the first full batch is refused, then split.
    const ledger = ledgerIn('oversized', { maxTxBytes: 400 * 1024 })
    await ledger.start()
    try {
      const blob = 'x'.repeat(MAX_DATA_BYTES - 20)
      const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.accept({ endpoint: `dev-${i}`, level: 2, data: { blob } }).then((r) => r.id)))
      await ledger.flush()
      expect(proxy.stats.oversized).toBeGreaterThanOrEqual(1)
      expect(ledger.stats()).toMatchObject({ outboxDepth: 0, duplicates: 0, quarantined: 0 })
      const onChain = await onChainIds()
      for (const id of ids) expect(onChain.filter((x) => x === id)).toHaveLength(1)
    } finally {
      await ledger.stop()
    }
  })

  it('anchors exactly once through 429s (some after the node accepted the transaction) and a dropped transaction', async () => {
    proxy.resetStats()
    proxy.setRateLimit((call) =>
      call.method === 'eth_sendRawTransaction' && call.nOfMethod % 2 === 0
        ? { retryAfter: 0, afterForward: true }
        : call.n % 5 === 0
          ? { retryAfter: 0 }
          : undefined,
    )
    let first = true
    proxy.dropTransaction(() => {
      const drop = first
      first = false
      return drop
    })
    const ledger = ledgerIn('lossy', { receiptTimeoutMs: 1_500, maxBatch: 20 })
    await ledger.start()
    try {
      const ids: string[] = []
      for (let k = 0; k < 5; k++) ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.accept({ endpoint: `l-${i}`, level: 1, data: { k, i } }).then((r) => r.id)))))
      await eventuallyFlushed(ledger)
      expect(proxy.stats.dropped).toHaveLength(1)
      expect(proxy.stats.rateLimited).toBeGreaterThan(3)
      expect(ledger.stats()).toMatchObject({ outboxDepth: 0, duplicates: 0 })
      const onChain = await onChainIds()
      for (const id of ids) expect(onChain.filter((x) => x === id)).toHaveLength(1)
      for (const id of [ids[0], ids[99]]) expect(ledger.get(id)?.status).toBe('anchored')
    } finally {
      proxy.setRateLimit(undefined)
      await ledger.stop()
    }
  })
})

/** flush() rejects while the proxy misbehaves; the loop retries on its own, so wait for an empty outbox. */
async function eventuallyFlushed(ledger: ReturnType<typeof createAnomalyLedger>): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = await ledger.flush().then(
      () => true,
      () => false,
    )
    if (ok && ledger.stats().outboxDepth === 0) return
    if (Date.now() > deadline) throw new Error(`outbox not drained: ${JSON.stringify(ledger.stats())}`)
  }
}
