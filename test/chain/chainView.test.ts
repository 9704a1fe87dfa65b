import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { connectChain } from '../../src/chain/connectChain.js'
import { removeClient } from '../../src/chain/clients/removeClient.js'
import { updateClient } from '../../src/chain/clients/updateClient.js'
import { sealClientRecord } from '../../src/chain/records/clientRecord.js'
import { sealUserRecord } from '../../src/chain/records/userRecord.js'
import { addUser } from '../../src/chain/users/addUser.js'
import { hashPassword, verifyPassword } from '../../src/chain/users/password.js'
import { readViewSnapshot } from '../../src/chain/view/cursorFile.js'
import { createChainView, type ChainView } from '../../src/chain/view/createChainView.js'
import type { ViewChange } from '../../src/chain/view/types.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

describe('ChainView', () => {
  let dir: string
  let chain: EmbeddedChain
  let port: number
  let d: GivenDeployment
  const views: ChainView[] = []

  const viewOf = (d: GivenDeployment, cursorFile?: string, withKey = true): ChainView => {
    const v = createChainView({
      publicClient: d.conn.publicClient,
      addresses: d,
      deployBlock: d.deployBlock,
      sealingPrivateKey: withKey ? d.sealingPrivateKey : undefined,
      emailKey: withKey ? d.emailKey : undefined,
      cursorFile,
      pollIntervalMs: 100,
    })
    views.push(v)
    return v
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-view-'))
    chain = await startEmbeddedChain({ port: 0, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
    port = chain.port
    d = await givenDeployment(chain.rpcUrl)
  })

  afterAll(async () => {
    await Promise.allSettled(views.map((v) => v.stop()))
    await chain?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('loads existing clients, then follows adds, updates and removes', async () => {
    const { spec: first } = await d.addGeneratedClient('view-1')
    const view = viewOf(d)
    await view.start()
    expect(view.clientByEndpoint('view-1')?.server.identity).toBe(first.server.identity)

    const changes: ViewChange[] = []
    view.subscribe((c) => changes.push(c))
    const { spec: second, block } = await d.addGeneratedClient('view-2')
    await view.waitForBlock(block)
    const byId = view.clientByIdentity(second.bootstrap.identity)
    expect(byId?.endpoint).toBe('view-2')
    expect(byId?.matchedRole).toBe('bootstrap')
    expect(Buffer.from(byId!.psk!).equals(Buffer.from(second.bootstrap.key))).toBe(true)
    expect(view.pskFor(second.server.identity, 'server')?.endpoint).toBe('view-2')
    expect(Buffer.from(view.pskFor(second.server.identity, 'server')!.key).equals(Buffer.from(second.server.key))).toBe(true)
    // An identity is only good for its own role.
    expect(view.pskFor(second.server.identity, 'bootstrap')).toBeUndefined()
    expect(view.pskFor('nobody', 'server')).toBeUndefined()

    const moved = sealClientRecord({ ...second, server: { ...second.server, uri: 'coaps://10.9.9.9:5684' } }, d.sealingPublicKey)
    const up = await updateClient(d.conn, { clientStore: d.clientStore, record: moved })
    await view.waitForBlock(up.block)
    expect(view.clientByEndpoint('view-2')?.server.uri).toBe('coaps://10.9.9.9:5684')
    expect(view.clientByEndpoint('view-2')?.version).toBe(2)

    const rm = await removeClient(d.conn, { clientStore: d.clientStore, endpoint: 'view-2' })
    await view.waitForBlock(rm.block)
    expect(view.clientByEndpoint('view-2')).toBeUndefined()
    expect(view.clientByIdentity(second.server.identity)).toBeUndefined()
    expect(changes.map((c) => c.kind)).toEqual(['client-added', 'client-updated', 'client-removed'])
  })

  it('serves records without keys when it has no sealing key', async () => {
    const view = viewOf(d, undefined, false)
    await view.start()
    const c = view.clientByEndpoint('view-1')
    expect(c?.bootstrap.identity).toBeTruthy()
    expect(c?.bootstrap.key).toBeUndefined()
  })

  it('finds users by username and by e-mail in any case, with their password verifier', async () => {
    const view = viewOf(d)
    await view.start()
    const verifier = await hashPassword('correct horse')
    const record = sealUserRecord({ username: 'vera', role: 2, email: 'Vera@Example.com', passwordVerifier: verifier }, d.sealingPublicKey, d.emailKey)
    const { block } = await addUser(d.conn, { userStore: d.userStore, record })
    await view.waitForBlock(block)
    const u = view.userByEmail('  vera@EXAMPLE.com ')
    expect(u?.username).toBe('vera')
    expect(u?.roleName).toBe('user')
    expect(u?.email).toBe('Vera@Example.com')
    expect(await verifyPassword('correct horse', view.userByUsername('vera')!.passwordVerifier!)).toBe(true)
    expect(await verifyPassword('wrong', u!.passwordVerifier!)).toBe(false)
  })

  it('keeps serving through an RPC outage, reports its lag, and catches up after a restart', async () => {
    const cursorFile = join(dir, 'view-cursor.json')
    const view = viewOf(d, cursorFile)
    await view.start()
    expect(view.lag().healthy).toBe(true)
    const before = view.clientByEndpoint('view-1')

    await chain.stop()
    await expect(view.syncNow()).rejects.toMatchObject({ code: 'LWC_CHAIN_UNREACHABLE' })
    const lag = view.lag()
    expect(lag.healthy).toBe(false)
    expect(lag.lastError).toMatch(/cannot reach the chain/)
    // Lookups still answer from memory.
    expect(view.clientByEndpoint('view-1')).toEqual(before)

    chain = await startEmbeddedChain({ port, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
    const conn = await connectChain({ rpcUrl: chain.rpcUrl })
    const again: GivenDeployment = { ...d, conn }
    const { spec, block } = await again.addGeneratedClient('after-restart')
    await view.waitForBlock(block)
    expect(view.lag().healthy).toBe(true)
    expect(view.clientByIdentity(spec.server.identity)?.endpoint).toBe('after-restart')
    expect(view.clientByEndpoint('view-1')?.server.identity).toBe(before?.server.identity)
    d = again
  })

  it('writes a changed state as its snapshot at most once per snapshotIntervalMs while running, and always at stop', async () => {
    const cursorFile = join(dir, 'throttled-cursor.json')
    const view = createChainView({ publicClient: d.conn.publicClient, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, cursorFile, pollIntervalMs: 100, snapshotIntervalMs: 600_000 })
    views.push(view)
    await view.start()
    const endpoints = () => readViewSnapshot(cursorFile)?.clients.map((c) => c.endpoint) ?? []
    // The first round's state is written at once.
    await vi.waitFor(() => expect(endpoints()).toContain('view-1'), { timeout: 20_000 })
    const { block } = await d.addGeneratedClient('throttled-1')
    await view.waitForBlock(block)
    // Rounds after the change (each runs onSuccess) still leave the file as it was.
    await view.syncNow()
    await view.syncNow()
    expect(view.clientByEndpoint('throttled-1')).toBeDefined()
    expect(endpoints()).not.toContain('throttled-1')
    await view.stop()
    expect(endpoints()).toContain('throttled-1')
  })

  it('resumes from its cursor file after a restart, even while the RPC is down', async () => {
    const cursorFile = join(dir, 'resume-cursor.json')
    const first = viewOf(d, cursorFile)
    await first.start()
    await first.stop()

    const offline = createChainView({
      publicClient: (await connectChain({ rpcUrl: chain.rpcUrl })).publicClient,
      rpcUrl: 'http://127.0.0.1:1',
      addresses: d,
      deployBlock: d.deployBlock,
      sealingPrivateKey: d.sealingPrivateKey,
      cursorFile,
      pollIntervalMs: 100,
    })
    views.push(offline)
    await chain.stop()
    await offline.start()
    expect(offline.clientByEndpoint('after-restart')?.server.key).toBeInstanceOf(Uint8Array)
    expect(offline.lag().healthy).toBe(false)
    expect(offline.lag().lastSyncedBlock).toBeGreaterThan(0)
    chain = await startEmbeddedChain({ port, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
    await offline.syncNow()
    expect(offline.lag().healthy).toBe(true)
  })

  it('refuses to start with neither a snapshot nor a reachable chain', async () => {
    const conn = await connectChain({ rpcUrl: chain.rpcUrl })
    const view = createChainView({
      publicClient: conn.publicClient,
      addresses: d,
      deployBlock: d.deployBlock,
      pollIntervalMs: 100,
    })
    await chain.stop()
    await expect(view.start()).rejects.toMatchObject({ code: 'LWC_CHAIN_UNREACHABLE' })
    chain = await startEmbeddedChain({ port, dataDir: join(dir, 'chain'), stateIntervalSeconds: 1 })
  })
})
