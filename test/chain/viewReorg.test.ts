import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectChain } from '../../src/chain/connectChain.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import type { ViewChange } from '../../src/chain/view/types.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

let anvil: TestAnvil
let proxy: RpcProxy
let d: GivenDeployment
let view: ChainView | undefined
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lwchain-view-reorg-'))
  anvil = await startAnvil()
  d = await givenDeployment(anvil.rpcUrl)
  proxy = await startRpcProxy({ upstream: anvil.rpcUrl })
})
afterAll(async () => {
  await view?.stop()
  await proxy?.close()
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const rpc = (method: string, params: unknown[] = []) => d.conn.publicClient.request({ method: method as never, params: params as never })

describe('ChainView on a reorganising chain', () => {
  it('rolls back to the fork point only (no rescan from the deploy block), telling subscribers, and snapshots only on change', async () => {
    for (let i = 0; i < 5; i++) await d.addGeneratedClient(`base-${i}`)
    const conn = await connectChain({ rpcUrl: proxy.url })
    const cursorFile = join(dir, 'view.json')
    view = createChainView({ publicClient: conn.publicClient, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, pollIntervalMs: 50, cursorFile })
    await view.start()
    const changes: ViewChange[] = []
    view.subscribe((c) => changes.push(c))
    await d.addGeneratedClient('doomed-1')
    const { block } = await d.addGeneratedClient('doomed-2')
    await view.waitForBlock(block)
    expect(view.clientByEndpoint('doomed-2')).toBeDefined()
    const forkAt = block - 2n

    proxy.resetStats()
    await rpc('anvil_reorg', [2, []])
    await eventually(() => view!.clientByEndpoint('doomed-1') === undefined && view!.clientByEndpoint('doomed-2') === undefined)
    expect(changes.slice(-2).map((c) => [c.kind, 'endpoint' in c && c.endpoint])).toEqual([
      ['client-removed', 'doomed-2'],
      ['client-removed', 'doomed-1'],
    ])
    expect(changes.some((c) => c.kind === 'reset')).toBe(false)
    expect(view.clients()).toHaveLength(5)
    // Logs were fetched above the fork point only.
    for (const r of proxy.stats.logRanges) expect(r.from).toBeGreaterThan(forkAt)

    // New blocks without store events do not rewrite the snapshot.
    await view.stop()
    await view.start()
    const written = statSync(cursorFile).mtimeMs
    await rpc('anvil_mine', ['0x5'])
    const head = await d.conn.publicClient.getBlockNumber({ cacheTime: 0 })
    await view.waitForBlock(head)
    await view.syncNow()
    expect(statSync(cursorFile).mtimeMs).toBe(written)
  })
})

async function eventually(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
