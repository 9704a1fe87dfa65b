// The view follows new blocks by newHeads subscription, and falls back to polling when the
// subscription is cut. The poll period while subscribed is set far beyond the test's waits, so a
// change seen while subscribed can only have come through the subscription.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import { webSocketUrlOf } from '../../src/chain/view/headSubscription.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'
import { createServer, type Socket } from 'node:net'
import { tcpRelay } from '../helpers/tcpRelay.js'

/** Resolves once `cond` holds (checked on every event-loop turn that a short timer allows). */
async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('ChainView head subscription', () => {
  let dir: string
  let chain: EmbeddedChain
  let d: GivenDeployment
  const views: ChainView[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-heads-'))
    chain = await startEmbeddedChain({ port: 0, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
    d = await givenDeployment(chain.rpcUrl)
  })

  afterAll(async () => {
    await Promise.allSettled(views.map((v) => v.stop()))
    await chain?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('derives the WebSocket URL of an http(s) RPC URL', () => {
    expect(webSocketUrlOf('http://127.0.0.1:8545')).toBe('ws://127.0.0.1:8545')
    expect(webSocketUrlOf('https://rpc.example.org/v1/key')).toBe('wss://rpc.example.org/v1/key')
    expect(webSocketUrlOf('ws://x:1')).toBe('ws://x:1')
    expect(webSocketUrlOf('file:///x')).toBeUndefined()
  })

  it('applies a new block through the subscription, and keeps following by polling once it is cut', { timeout: 90_000 }, async () => {
    const r = await tcpRelay(chain.port)
    const view = createChainView({
      publicClient: d.conn.publicClient,
      addresses: d,
      deployBlock: d.deployBlock,
      sealingPrivateKey: d.sealingPrivateKey,
      pollIntervalMs: 100,
      pollWhileSubscribedMs: 10 * 60_000,
      headsUrl: `ws://127.0.0.1:${r.port}`,
    })
    views.push(view)
    await view.start()
    await until(() => view.lag().subscribed === true, 'the subscription')

    await d.addGeneratedClient('heads-1')
    await until(() => view.clientByEndpoint('heads-1') !== undefined, 'heads-1 through the subscription')
    expect(view.lag().subscribed).toBe(true)

    await r.cut()
    await until(() => view.lag().subscribed === false, 'the cut to be noticed')
    await d.addGeneratedClient('heads-2')
    await until(() => view.clientByEndpoint('heads-2') !== undefined, 'heads-2 by polling')
    expect(view.lag().subscribed).toBe(false)
    expect(view.lag().healthy).toBe(true)
  })

  it('polls when the RPC offers no WebSocket at all', { timeout: 60_000 }, async () => {
    // A port that accepts TCP but speaks no WebSocket: the upgrade fails, the view polls.
    const open = new Set<Socket>()
    const dead = createServer((s) => {
      open.add(s)
      s.on('error', () => undefined)
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n')
    })
    await new Promise<void>((res) => dead.listen(0, '127.0.0.1', res))
    const view = createChainView({
      publicClient: d.conn.publicClient,
      addresses: d,
      deployBlock: d.deployBlock,
      sealingPrivateKey: d.sealingPrivateKey,
      pollIntervalMs: 100,
      pollWhileSubscribedMs: 10 * 60_000,
      headsUrl: `ws://127.0.0.1:${(dead.address() as { port: number }).port}`,
    })
    views.push(view)
    await view.start()
    await d.addGeneratedClient('heads-3')
    await until(() => view.clientByEndpoint('heads-3') !== undefined, 'heads-3 by polling')
    expect(view.lag().subscribed).toBe(false)
    await view.stop()
    for (const s of open) s.destroy()
    await new Promise<void>((res) => dead.close(() => res()))
  })
})
