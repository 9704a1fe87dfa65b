import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createPublicClient, hexToBytes, http, bytesToHex, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SealingKeyRing } from '../../src/chain/keys/keyRing.js'
import { clientKeyContext } from '../../src/chain/records/sealContexts.js'
import { readViewSnapshot, writeViewSnapshot } from '../../src/chain/view/cursorFile.js'
import { PREFETCH_SLICE } from '../../src/chain/view/prefetchingUnsealer.js'
import type { ClientEntry } from '../../src/chain/view/types.js'
import { ViewState } from '../../src/chain/view/viewState.js'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { addClients } from '../../src/chain/clients/addClients.js'
import { buildClientSpec, sealClientRecord, type ClientSpec } from '../../src/chain/records/clientRecord.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../../src/chain/sealing.js'
import { createSealingPool, type SealingPool } from '../../src/chain/sealingPool.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'
import { longestStall } from '../helpers/loopStall.js'

/** The chain view with a SealingPool: every sealed value opens in the pool, a batch at a time, and the view serves what it served without one. */
describe('ChainView with a sealing pool', () => {
  let dir: string
  let chain: EmbeddedChain
  let d: GivenDeployment
  let pool: SealingPool
  const views: ChainView[] = []
  /** Items per openMany call the view made. */
  const calls: number[] = []
  const specs = new Map<string, ClientSpec>()

  const viewOf = (cursorFile?: string, p: Pick<SealingPool, 'openMany'> = counting): ChainView => {
    const v = createChainView({ publicClient: d.conn.publicClient, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, cursorFile, pollIntervalMs: 100, sealingPool: p })
    views.push(v)
    return v
  }
  const counting: Pick<SealingPool, 'openMany'> = {
    openMany(keys, items) {
      calls.push(items.length)
      return pool.openMany(keys, items)
    },
  }
  /** Registers `n` clients in one transaction; with `foreign`, their keys are sealed to another deployment's key. */
  const addMany = async (prefix: string, n: number, foreign = false): Promise<bigint> => {
    const to = foreign ? sealingKeyToHex(generateSealingKeyPair().publicKey) : d.sealingPublicKey
    const batch = Array.from({ length: n }, (_, i) => buildClientSpec({ endpoint: `${prefix}-${i}` }).spec)
    if (!foreign) for (const s of batch) specs.set(s.endpoint, s)
    const [b] = await addClients(d.conn, { clientStore: d.clientStore, records: batch.map((s) => sealClientRecord(s, to)), batchSize: n })
    expect(b.status).toBe('landed')
    return b.block!
  }
  const expectAllOpen = (view: ChainView): void => {
    for (const [endpoint, spec] of specs) {
      const c = view.clientByEndpoint(endpoint)
      expect(c?.bootstrap.key && Buffer.from(c.bootstrap.key).equals(Buffer.from(spec.bootstrap.key))).toBe(true)
      expect(c?.server.key && Buffer.from(c.server.key).equals(Buffer.from(spec.server.key))).toBe(true)
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-viewpool-'))
    chain = await startEmbeddedChain({ port: 0, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
    d = await givenDeployment(chain.rpcUrl)
    pool = createSealingPool({ workers: 1, batchSize: 16 })
    await addMany('pool-a', 40)
    await addMany('pool-alien', 2, true)
  })

  afterAll(async () => {
    await Promise.allSettled(views.map((v) => v.stop()))
    await pool?.close()
    await chain?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens a cold start in the pool, serves every key, and a value sealed to another key without it', async () => {
    const view = viewOf(join(dir, 'cursor.json'))
    await view.start()
    // 42 clients, two values each, in one chunk: one batch, half to the pool (the loop opens the
    // other half itself while nothing is served yet).
    expect(calls.reduce((a, b) => a + b, 0)).toBe(42)
    expectAllOpen(view)
    expect(view.clientByEndpoint('pool-alien-0')?.server.identity).toBeDefined()
    expect(view.clientByEndpoint('pool-alien-0')?.server.key).toBeUndefined()

    // New blocks with many records go through the pool too.
    const before = calls.length
    const block = await addMany('pool-b', 10)
    await view.waitForBlock(block)
    expect(calls.length).toBeGreaterThan(before)
    expectAllOpen(view)
    await view.stop()
  })

  it('resumes from its snapshot without opening a sealed value: the snapshot\'s opened-secrets block holds them', async () => {
    const file = join(dir, 'cursor.json')
    expect(readViewSnapshot(file)?.opened?.count).toBe(2 * (specs.size + 2))
    const before = calls.reduce((a, b) => a + b, 0)
    const view = viewOf(file)
    await view.start()
    expect(calls.reduce((a, b) => a + b, 0) - before).toBe(0)
    expectAllOpen(view)
    expect(view.clientByEndpoint('pool-alien-0')?.server.key).toBeUndefined()
    await view.stop()
  })

  it('opens every sealed value in the pool when the block does not belong to the entries beside it (two records swapped)', async () => {
    const file = join(dir, 'cursor.json')
    const s = readViewSnapshot(file)!
    ;[s.clients[0], s.clients[1]] = [s.clients[1], s.clients[0]]
    writeViewSnapshot(file, s)
    const before = calls.reduce((a, b) => a + b, 0)
    const view = viewOf(file)
    await view.start()
    expect(calls.reduce((a, b) => a + b, 0) - before).toBeGreaterThanOrEqual(specs.size + 2)
    expectAllOpen(view)
    await view.stop()
  })

  it('restores a snapshot bigger than a slice a slice at a time, the loop never stalled for a fraction of the inline restore', async () => {
    const n = PREFETCH_SLICE + 500
    const pub = hexToBytes(d.sealingPublicKey)
    const key = (i: number) => new Uint8Array(16).fill(i % 251)
    const sealed = await pool.sealMany(Array.from({ length: n }, (_, i) => [
      { publicKey: pub, plaintext: key(i), context: clientKeyContext(`snap-${i}`, 'bootstrap') },
      { publicKey: pub, plaintext: key(i), context: clientKeyContext(`snap-${i}`, 'server') },
    ]).flat())
    const clients: ClientEntry[] = Array.from({ length: n }, (_, i) => ({
      endpoint: `snap-${i}`,
      endpointHash: `0x${i.toString(16).padStart(64, '0')}` as Hex,
      bootstrapUri: 'coaps://127.0.0.1:5784',
      bootstrapIdentity: `snap-bs-${i}`,
      bootstrapKeySealed: bytesToHex(sealed[2 * i]),
      serverUri: 'coaps://127.0.0.1:5684',
      serverIdentity: `snap-srv-${i}`,
      serverKeySealed: bytesToHex(sealed[2 * i + 1]),
      version: 1,
      block: '1',
    }))
    const file = join(dir, 'big-snapshot.json')
    writeViewSnapshot(file, { format: 1, chainId: 31337, clientStore: d.clientStore, userStore: d.userStore, deployBlock: d.deployBlock.toString(), cursor: { block: '1', hash: `0x${'11'.repeat(32)}` }, clients, users: [] })
    // The same restore inline: how long the loop was blocked without a pool.
    const restoreInline = () => {
      const t0 = performance.now()
      new ViewState(new SealingKeyRing(d.sealingPrivateKey)).restore({ clients, users: [] })
      return performance.now() - t0
    }
    const inlineBefore = restoreInline()

    // An RPC that refuses: the view serves its snapshot (and nothing on chain overwrites it).
    const dead = createPublicClient({ transport: http('http://127.0.0.1:1', { retryCount: 0 }) })
    const view = createChainView({ publicClient: dead as never, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, cursorFile: file, pollIntervalMs: 60_000, sealingPool: counting })
    views.push(view)
    const before = calls.length
    const { stallMs } = await longestStall(() => view.start())
    // Before and after (the larger counts): a load change between the two must not decide it.
    const inlineMs = Math.max(inlineBefore, restoreInline())
    console.log(`snapshot of ${n} clients: inline restore ${inlineMs.toFixed(0)} ms; pooled, longest loop stall ${stallMs.toFixed(0)} ms`)
    // Two slices, each one batch: half of a slice's values to the pool, the loop opening the rest.
    expect(calls.slice(before)).toEqual([PREFETCH_SLICE, n - PREFETCH_SLICE])
    for (const i of [0, PREFETCH_SLICE - 1, PREFETCH_SLICE, n - 1]) {
      expect(view.clientByEndpoint(`snap-${i}`)?.server.key).toEqual(key(i))
    }
    // Pooled stalls were 0.04-0.3 of the inline time here; half leaves a wide margin.
    expect(stallMs).toBeLessThan(inlineMs / 2)
  })

  it('opens inline when the pool is closed (a shutdown racing a sync), serving the same', async () => {
    const closed = createSealingPool({ workers: 1 })
    await closed.close()
    const view = viewOf(undefined, closed)
    await view.start()
    expectAllOpen(view)
    expect(view.clientByEndpoint('pool-alien-1')?.bootstrap.key).toBeUndefined()
  })
})
