// The embedded chain mines on demand (embeddedMiner.ts): a lone transaction is mined at once,
// transactions that arrive together share a block, and mining goes on by polling when the
// pending-transaction subscription is cut. Against a real anvil started with --no-mining.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, http, parseEther, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { startEmbeddedMiner, type EmbeddedMiner } from '../../src/chain/embeddedMiner.js'
import { ANVIL_KEYS, rpcCall, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { tcpRelay } from '../helpers/tcpRelay.js'

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now()
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const account = privateKeyToAccount(ANVIL_KEYS[1])
const to = privateKeyToAccount(ANVIL_KEYS[2]).address

/** `count` signed transfers from account 1, nonces from `nonce` on. */
async function signedTransfers(rpcUrl: string, nonce: number, count: number): Promise<Hex[]> {
  const wallet = createWalletClient({ account, chain: foundry, transport: http(rpcUrl) })
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      wallet.signTransaction({ to, value: parseEther('0.001'), nonce: nonce + i, gas: 21_000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1n, chain: foundry }),
    ),
  )
}

/** Sends raw transactions in one JSON-RPC batch (they reach the pool together); returns the hashes. */
async function sendAll(rpcUrl: string, raws: Hex[]): Promise<Hex[]> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(raws.map((r, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [r] }))) })
  const body = (await res.json()) as { id: number; result?: Hex; error?: { message: string } }[]
  return body.sort((a, b) => a.id - b.id).map((b) => {
    if (!b.result) throw new Error(b.error?.message ?? 'no hash')
    return b.result
  })
}

describe('embedded chain: on-demand mining', () => {
  let chain: EmbeddedChain
  beforeAll(async () => {
    chain = await startEmbeddedChain({ port: 0 })
  })
  afterAll(async () => {
    await chain?.stop()
  })

  it('mines a lone transaction without being asked, and transactions that arrive together share blocks', async () => {
    const client = createPublicClient({ chain: foundry, transport: http(chain.rpcUrl), cacheTime: 0 })
    const nonce = await client.getTransactionCount({ address: account.address })
    const [lone] = await sendAll(chain.rpcUrl, await signedTransfers(chain.rpcUrl, nonce, 1))
    const first = await client.waitForTransactionReceipt({ hash: lone, pollingInterval: 20 })
    expect(first.status).toBe('success')

    const hashes = await sendAll(chain.rpcUrl, await signedTransfers(chain.rpcUrl, nonce + 1, 40))
    const receipts = await Promise.all(hashes.map((hash) => client.waitForTransactionReceipt({ hash, pollingInterval: 20 })))
    expect(receipts.every((r) => r.status === 'success')).toBe(true)
    const blocks = new Set(receipts.map((r) => r.blockNumber))
    // Automine would have made 40 blocks.
    expect(blocks.size).toBeLessThan(40)
    // Nothing is left pending, and no empty block was mined for nothing.
    expect(Number(((await rpcCall(chain.rpcUrl, "txpool_status")) as { pending: string }).pending)).toBe(0)
    const head = await client.getBlockNumber()
    expect(head).toBe(receipts.reduce((m, r) => (r.blockNumber > m ? r.blockNumber : m), 0n))
  })
})

describe('embedded miner: subscription cut', () => {
  let anvil: TestAnvil
  let miner: EmbeddedMiner | undefined
  beforeAll(async () => {
    anvil = await startAnvil({ args: ['--no-mining'] })
  })
  afterAll(async () => {
    await miner?.stop()
    await anvil?.stop()
  })

  it('mines by subscription, by polling while the subscription is cut, and not at all once stopped', async () => {
    const ws = await tcpRelay(anvil.port)
    // A poll period far beyond the test's waits while subscribed: a block seen then came from the subscription.
    miner = startEmbeddedMiner({ rpcUrl: anvil.rpcUrl, wsUrl: `ws://127.0.0.1:${ws.port}`, pollMs: 200 })
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl), cacheTime: 0 })
    await until(() => miner!.subscribed(), 'the subscription')
    const nonce = await client.getTransactionCount({ address: account.address })

    const [a] = await sendAll(anvil.rpcUrl, await signedTransfers(anvil.rpcUrl, nonce, 1))
    expect((await client.waitForTransactionReceipt({ hash: a, pollingInterval: 20 })).status).toBe('success')

    await ws.cut()
    await until(() => !miner!.subscribed(), 'the cut to be noticed')
    const [b] = await sendAll(anvil.rpcUrl, await signedTransfers(anvil.rpcUrl, nonce + 1, 1))
    expect((await client.waitForTransactionReceipt({ hash: b, pollingInterval: 20 })).status).toBe('success')
    expect(miner.blocks()).toBe(2)

    await miner.stop()
    const head = await client.getBlockNumber()
    const [c] = await sendAll(anvil.rpcUrl, await signedTransfers(anvil.rpcUrl, nonce + 2, 1))
    // Stopped: the transaction stays pending through several poll periods.
    const t0 = Date.now()
    await until(() => Date.now() - t0 > 600, 'a few poll periods')
    expect(await client.getBlockNumber()).toBe(head)
    expect((await client.getTransaction({ hash: c })).blockNumber).toBeNull()
  })
})
