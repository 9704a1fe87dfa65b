import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type AnomalyLedger } from '../../src/anomalies/ledger.js'
import { anchoredOnChain, eventually, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
let ledger: AnomalyLedger | undefined
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await ledger?.stop()
  await c?.close()
})

const rpc = (method: string, params: unknown[] = []) => c.d.conn.publicClient.request({ method: method as never, params: params as never })

describe('anomaly ledger behind a lost transaction', () => {
  it('fills a nonce that no transaction holds any more, so the batches waiting behind it are mined', async () => {
    const client = c.d.conn.publicClient
    const account = c.d.conn.account!
    await rpc('evm_setAutomine', [false])
    // Another process signing with the same key has a transaction pooled at the next nonce...
    const lostNonce = await client.getTransactionCount({ address: account.address, blockTag: 'latest' })
    const fees = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }
    const lost = await client.sendRawTransaction({
      serializedTransaction: await account.signTransaction({ type: 'eip1559', chainId: c.d.conn.chainId, to: account.address, value: 1n, gas: 21_000n, nonce: lostNonce, ...fees }),
    })
    ledger = createAnomalyLedger({
      conn: c.d.conn,
      address: c.d.anomalyStore,
      deployBlock: c.d.deployBlock,
      dataDir: `${c.dir}/hole`,
      logger: c.logger,
      batchIntervalMs: 20,
      pollIntervalMs: 50,
      maxBatch: 2,
      fees: { bumpAfterBlocks: 2 },
    })
    await ledger.start()
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => ledger!.accept({ endpoint: 'hole', level: 1, data: { i } }).then((r) => r.id)))
    await eventually(() => ledger!.stats().inflight === 6)
    // ...and loses it (a reorg took it away, or a pool evicted it): the ledger's batches, signed
    // above it, can never be mined in nonce order.
    await rpc('anvil_dropTransaction', [lost])
    await rpc('evm_setIntervalMining', [1])
    try {
      await eventually(() => ids.every((id) => ledger!.get(id)?.status === 'anchored'))
    } finally {
      await rpc('evm_setIntervalMining', [0])
      await rpc('evm_setAutomine', [true])
    }
    // The hole was closed by an empty transfer to ourselves, and every record is on chain once.
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const txs = []
    for (let n = c.d.deployBlock; n <= head; n++) txs.push(...(await client.getBlock({ blockNumber: n, includeTransactions: true })).transactions)
    const atLost = txs.filter((t) => t.from.toLowerCase() === account.address.toLowerCase() && t.nonce === lostNonce)
    expect(atLost).toHaveLength(1)
    expect(atLost[0]).toMatchObject({ value: 0n, gas: 21_000n })
    expect(atLost[0].to?.toLowerCase()).toBe(account.address.toLowerCase())
    const onChain = (await anchoredOnChain(client, c.d.anomalyStore)).map((r) => r.id)
    expect(ids.map((id) => onChain.filter((x) => x === id).length)).toEqual(ids.map(() => 1))
  })
})
