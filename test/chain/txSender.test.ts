/**
 * The TxSender's verdict on a write, against anvil: it reports a write lost only when the node
 * no longer knows any of its transactions and their nonce is used, not when receipts lag.
 */
import { createPublicClient, custom, type Hash } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { createTxSender } from '../../src/chain/txSender.js'
import { rpcCall, startAnvil, type TestAnvil } from '../helpers/anvil.js'

describe('TxSender settle()', () => {
  let anvil: TestAnvil
  let conn: ChainConnection
  const rpc = (method: string, params: unknown[] = []): Promise<unknown> => rpcCall(anvil.rpcUrl, method, params)
  beforeAll(async () => {
    anvil = await startAnvil()
    conn = await connectChain({ rpcUrl: anvil.rpcUrl })
  })
  afterAll(async () => {
    await anvil?.stop()
  })

  it('waits for a receipt that lags behind the mined nonce (as anvil under load did) and reports the write landed', async () => {
    // An RPC whose receipts come late: the first few lookups of each hash answer null.
    const misses = new Map<string, number>()
    const lagging = createPublicClient({
      chain: conn.chain,
      transport: custom({
        async request({ method, params }) {
          if (method === 'eth_getTransactionReceipt') {
            const hash = String((params as unknown[])[0])
            const n = misses.get(hash) ?? 0
            misses.set(hash, n + 1)
            if (n < 6) return null
          }
          return rpc(method, params as unknown[])
        },
      }),
    })
    const sender = createTxSender({ ...conn, publicClient: lagging as never })
    const w = await sender.send({ to: conn.account!.address, data: '0x', gas: 21_000n })
    const out = await sender.settle(w, () => undefined)
    expect(out.status).toBe('landed')
    expect(misses.get(w.attempts[0].hash)).toBeGreaterThan(6)
  })

  it('reports a write failed when another transaction took its nonce and the node dropped ours', async () => {
    const sender = createTxSender(conn)
    await rpc('evm_setAutomine', [false])
    try {
      const w = await sender.send({ to: conn.account!.address, data: '0x01', gas: 30_000n })
      const ours = w.attempts[0]
      // Another process with the same key: same nonce, twice the fees, replaces ours in the pool.
      const other: Hash = await conn.walletClient!.sendTransaction({
        to: conn.account!.address,
        nonce: ours.nonce,
        gas: 30_000n,
        maxFeePerGas: ours.fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: ours.fees.maxPriorityFeePerGas * 2n,
      })
      await rpc('anvil_mine', ['0x1'])
      expect((await conn.publicClient.getTransactionReceipt({ hash: other })).status).toBe('success')
      const out = await sender.settle(w, () => undefined)
      expect(out.status).toBe('failed')
      expect(out.status === 'failed' && out.error.shortMessage).toMatch(new RegExp(`^nonce ${ours.nonce} was used by another transaction`))
    } finally {
      await rpc('evm_setAutomine', [true])
    }
  })

  it('replaces writes priced under a spiked base fee, and they land at the new fees', async () => {
    const sender = createTxSender(conn, { fees: { bumpAfterBlocks: 2 } })
    await rpc('evm_setAutomine', [false])
    try {
      const base = (await conn.publicClient.getBlock({ blockTag: 'latest' })).baseFeePerGas!
      const writes = [await sender.send({ to: conn.account!.address, data: '0x02', gas: 30_000n }), await sender.send({ to: conn.account!.address, data: '0x03', gas: 30_000n })]
      // Signed at about 2 × base; the next blocks come at 8 × base, falling 12.5% per empty block,
      // so without a replacement they could be mined only ten blocks or so later.
      await rpc('anvil_setNextBlockBaseFeePerGas', [`0x${(base * 8n).toString(16)}`])
      await rpc('evm_setIntervalMining', [1])
      const outs = await Promise.all(writes.map((w) => sender.settle(w, () => undefined)))
      for (const [i, out] of outs.entries()) {
        expect(out.status).toBe('landed')
        expect(writes[i].attempts.length).toBeGreaterThan(1)
        expect(out.status === 'landed' && out.hash).not.toBe(writes[i].attempts[0].hash)
      }
    } finally {
      await rpc('evm_setIntervalMining', [0])
      await rpc('evm_setAutomine', [true])
    }
  })
})
