import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectChain } from '../../src/chain/connectChain.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { every, startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

let anvil: TestAnvil
let proxy: RpcProxy
let d: GivenDeployment
let view: ChainView | undefined
beforeAll(async () => {
  anvil = await startAnvil()
  d = await givenDeployment(anvil.rpcUrl)
  // Small caps (the real ones are 10,000 each) so a short test history overflows both.
  proxy = await startRpcProxy({ upstream: anvil.rpcUrl, maxLogResults: 4, maxLogBlocks: 100 })
})
afterAll(async () => {
  await view?.stop()
  await proxy?.close()
  await anvil?.stop()
})

describe('ChainView through a hosted-provider proxy', () => {
  it('loads a history longer than the block range cap with more logs than the result cap, through 429s, and follows new blocks', async () => {
    for (let i = 0; i < 10; i++) await d.addGeneratedClient(`early-${i}`)
    await d.conn.publicClient.request({ method: 'anvil_mine' as never, params: ['0x1f4'] as never }) // 500 blocks
    for (let i = 0; i < 6; i++) await d.addGeneratedClient(`late-${i}`)
    proxy.setRateLimit(every(4, { retryAfter: 0 }))
    const conn = await connectChain({ rpcUrl: proxy.url })
    view = createChainView({ publicClient: conn.publicClient, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, pollIntervalMs: 100 })
    await view.start()
    expect(view.clients().map((c) => c.endpoint).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `early-${i}`), ...Array.from({ length: 6 }, (_, i) => `late-${i}`)].sort())
    expect(proxy.stats.resultCapped).toBeGreaterThan(0)
    expect(proxy.stats.rateLimited).toBeGreaterThan(0)
    const { block } = await d.addGeneratedClient('after-start')
    await view.waitForBlock(block)
    expect(view.clientByEndpoint('after-start')?.server.key).toBeDefined()
  })

  it('checkpoints a cold start, so a load cut short resumes where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwchain-view-cold-'))
    const cursorFile = join(dir, 'view.json')
    const flaky = await startRpcProxy({ upstream: anvil.rpcUrl })
    try {
      const conn = await connectChain({ rpcUrl: flaky.url, timeoutMs: 2_000 })
      // The provider goes away after a few chunks of the first load.
      let chunks = 0
      flaky.setRateLimit((c) => (c.method === 'eth_getLogs' && ++chunks > 4 ? { retryAfter: 0 } : undefined))
      const first = createChainView({ publicClient: conn.publicClient, addresses: d, deployBlock: d.deployBlock, cursorFile, chunkSize: 50n, checkpointMs: 0 })
      const failed = first.start().then(() => 'started', () => 'failed')
      // Let it fail fast: the 429s would be retried with backoff for long.
      await until(() => existsSync(cursorFile))
      await first.stop()
      await flaky.close()
      void failed
      const saved = JSON.parse(readFileSync(cursorFile, 'utf8')) as { cursor: { block: string } }
      expect(BigInt(saved.cursor.block)).toBeGreaterThan(d.deployBlock)
      proxy.resetStats()
      const conn2 = await connectChain({ rpcUrl: proxy.url })
      const second = createChainView({ publicClient: conn2.publicClient, addresses: d, deployBlock: d.deployBlock, cursorFile })
      await second.start()
      try {
        expect(second.clients().length).toBe(view!.clients().length)
        expect(proxy.stats.logRanges[0].from).toBe(BigInt(saved.cursor.block) + 1n)
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
