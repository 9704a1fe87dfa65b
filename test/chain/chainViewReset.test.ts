import { afterAll, describe, expect, it } from 'vitest'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import type { ViewChange } from '../../src/chain/view/types.js'
import { givenDeployment } from './givenDeployment.js'

describe('ChainView on a replaced chain', () => {
  let chain: EmbeddedChain | undefined
  let view: ChainView | undefined

  afterAll(async () => {
    await view?.stop()
    await chain?.stop()
  })

  it('reloads when the chain is replaced and tells subscribers what changed', async () => {
    chain = await startEmbeddedChain({ port: 0 })
    const port = chain.port
    const d1 = await givenDeployment(chain.rpcUrl)
    await d1.addGeneratedClient('old-1')
    await d1.addGeneratedClient('old-2')
    view = createChainView({ publicClient: d1.conn.publicClient, addresses: d1, deployBlock: d1.deployBlock, pollIntervalMs: 100 })
    await view.start()
    const changes: ViewChange[] = []
    view.subscribe((c) => changes.push(c))

    // A fresh chain on the same port: same deployer and nonces, so the same contract addresses.
    await chain.stop()
    chain = await startEmbeddedChain({ port })
    const d2 = await givenDeployment(chain.rpcUrl)
    expect(d2.clientStore).toBe(d1.clientStore)
    await d2.addGeneratedClient('new-1')
    await d2.addGeneratedClient('new-2')
    await d2.addGeneratedClient('new-3')
    await view.syncNow()

    expect(view.clients().map((c) => c.endpoint).sort()).toEqual(['new-1', 'new-2', 'new-3'])
    expect(changes.map((c) => ('endpoint' in c ? `${c.kind} ${c.endpoint}` : c.kind)).sort()).toEqual([
      'client-added new-1',
      'client-added new-2',
      'client-added new-3',
      'client-removed old-1',
      'client-removed old-2',
      'reset',
    ])
  })
})
