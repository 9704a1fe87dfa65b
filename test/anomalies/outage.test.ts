import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type AnomalyLedger } from '../../src/anomalies/ledger.js'
import { connectChain } from '../../src/chain/connectChain.js'
import { silentLogger } from '../../src/logger.js'
import { givenDeployment, type GivenDeployment } from '../chain/givenDeployment.js'
import { anchoredOnChain, eventually, startStatefulAnvil, type StatefulAnvil } from './helpers.js'

let dir: string
let anvil: StatefulAnvil
let d: GivenDeployment
let ledger: AnomalyLedger
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lwchain-anomaly-outage-'))
  anvil = await startStatefulAnvil(join(dir, 'anvil-state.json'))
  d = await givenDeployment(anvil.rpcUrl)
})
afterAll(async () => {
  await ledger?.stop()
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('anomaly ledger under a chain outage', () => {
  it('keeps accepting while the chain is down and anchors every accepted anomaly exactly once when it returns', async () => {
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl, timeoutMs: 2_000 })
    ledger = createAnomalyLedger({
      conn,
      address: d.anomalyStore,
      deployBlock: d.deployBlock,
      dataDir: join(dir, 'ledger'),
      logger: silentLogger(),
      batchIntervalMs: 20,
      pollIntervalMs: 100,
    })
    await ledger.start()
    const ids: string[] = []
    const burst = async (n: number, tag: string) => {
      const got = await Promise.all(
        Array.from({ length: n }, (_, i) => ledger.accept({ endpoint: `dev-${i % 4}`, level: 2, data: { tag, i } }).then((r) => r.id)),
      )
      ids.push(...got)
    }
    for (let k = 0; k < 5; k++) await burst(40, `before-${k}`)
    // The chain goes away mid-stream; accepts keep succeeding from the outbox.
    const stopping = anvil.stop()
    await burst(40, 'during-stop')
    await stopping
    for (let k = 0; k < 5; k++) await burst(40, `down-${k}`)
    await eventually(() => ledger.stats().lastError !== undefined)
    expect(ledger.stats().outboxDepth).toBeGreaterThan(0)
    await anvil.restart()
    await eventually(async () => ledger.stats().outboxDepth === 0)
    const onChain = (await anchoredOnChain(conn.publicClient, d.anomalyStore)).map((r) => r.id)
    expect(onChain.length).toBe(ids.length)
    expect(new Set(onChain)).toEqual(new Set(ids))
    expect(ledger.stats().duplicates).toBe(0)
    for (const id of [ids[0], ids[250], ids[ids.length - 1]]) expect(await ledger.verify(id)).toBe('VALID')
  })

  it('starts while the chain is down, accepts, and anchors everything once the chain is back', async () => {
    await ledger.stop()
    await anvil.stop()
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl, expectedChainId: 31337, allowOffline: true, timeoutMs: 1_000 })
    ledger = createAnomalyLedger({
      conn,
      address: d.anomalyStore,
      deployBlock: d.deployBlock,
      dataDir: join(dir, 'ledger-2'),
      logger: silentLogger(),
      batchIntervalMs: 20,
      pollIntervalMs: 100,
    })
    await ledger.start()
    expect(ledger.stats().chain.healthy).toBe(false)
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.accept({ endpoint: 'offline', level: 3, data: { i } }).then((r) => r.id)))
    expect(ledger.list({ endpoint: 'offline', limit: 100 }).items.map((x) => x.status)).toEqual(Array(50).fill('pending'))
    await anvil.restart()
    await eventually(() => ledger.stats().outboxDepth === 0)
    const onChain = (await anchoredOnChain(conn.publicClient, d.anomalyStore)).map((r) => r.id).filter((id) => ids.includes(id))
    expect(onChain.sort()).toEqual([...ids].sort())
    await eventually(() => ledger.list({ endpoint: 'offline', limit: 100 }).items.every((x) => x.status === 'anchored'))
  })
})
