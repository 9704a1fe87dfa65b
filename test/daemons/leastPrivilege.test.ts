/**
 * Every daemon on its least privilege, on a real anvil: `serve bootstrap` with no key at all,
 * `serve server` anchoring with a poster-only key and managing devices and users only with a
 * writer-only key; a key without its role stops the start with one line naming the role, before
 * any transaction; `lwchain role grant|revoke|list` hands the roles out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anomalyStoreAbi } from '../../src/chain/generated/contracts.js'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { loadProfile } from '../../src/chain/profile.js'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runRoleChange, runRoleList } from '../../src/commands/role/run.js'
import { runServeBootstrap } from '../../src/commands/serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { silentLogger } from '../../src/logger.js'
import { ANVIL_KEYS, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { eventually, startBootstrapClient } from './bootstrap-helpers.js'

const POSTER_KEY = ANVIL_KEYS[1]
const WRITER_KEY = ANVIL_KEYS[2]
const NO_ROLE_KEY = ANVIL_KEYS[3]
const addr = (k: `0x${string}`) => privateKeyToAccount(k).address
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))

describe('daemons on least privilege', () => {
  let anvil: TestAnvil
  let dir: string
  let o: { configDir: string; rpc: string }
  let conn: ChainConnection
  const keyFile = (name: string, key: string) => {
    const path = join(dir, name)
    writeFileSync(path, key + '\n', { mode: 0o600 })
    return path
  }
  const nonce = (k: `0x${string}`) => conn.publicClient.getTransactionCount({ address: addr(k) })
  const serve = (extra: { privateKeyFile?: string; writerKeyFile?: string }) =>
    runServeServer({ ...o, port: 0, httpPort: 0, pollIntervalMs: 100, ledger: { batchIntervalMs: 100, pollIntervalMs: 100 }, cursorName: `v-${Math.random()}.json`, logger: silentLogger(), ...extra })
  const login = async (s: RunningServer) => {
    const r = await fetch(`${s.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'root-password-1' }) })
    return ((await r.json()) as { token: string }).token
  }
  const call = async (s: RunningServer, token: string, method: string, path: string, body?: object) => {
    const r = await fetch(`${s.api}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body && { 'content-type': 'application/json' }) }, body: body && JSON.stringify(body) })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-lp-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    await runUserAdd(o, { username: 'root', email: 'root@example.org', role: 'admin', password: 'root-password-1' })
    conn = await connectChain({ rpcUrl: anvil.rpcUrl })
  })

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('role grant gives the poster and writer roles; role list shows every holder', async () => {
    const g1 = await runRoleChange(o, 'grant', 'poster', addr(POSTER_KEY))
    expect(g1.changed.map((c) => c.store)).toEqual(['anomalyStore'])
    const g2 = await runRoleChange(o, 'grant', 'writer', addr(WRITER_KEY))
    expect(g2.changed.map((c) => c.store)).toEqual(['clientStore', 'userStore'])
    expect((await runRoleChange(o, 'grant', 'writer', addr(WRITER_KEY))).changed).toEqual([])
    const list = await runRoleList(o)
    expect('holders' in list && list.holders.map((h) => [h.role, h.account, h.complete])).toEqual(
      expect.arrayContaining([
        ['poster', addr(POSTER_KEY), true],
        ['writer', addr(WRITER_KEY), true],
        ['admin', addr(ANVIL_KEYS[0]), true],
      ]),
    )
    expect(await runRoleList(o, addr(WRITER_KEY))).toEqual({ account: addr(WRITER_KEY), roles: ['writer'] })
  })

  it('role changes need the admin role, and the last admin keeps it', async () => {
    await expect(runRoleChange({ ...o, privateKeyFile: keyFile('writer1.key', WRITER_KEY) }, 'grant', 'admin', addr(WRITER_KEY))).rejects.toMatchObject({
      code: 'LWC_UNAUTHORIZED',
      shortMessage: expect.stringContaining('lacks the admin role'),
    })
    await expect(runRoleChange(o, 'revoke', 'admin', addr(ANVIL_KEYS[0]))).rejects.toMatchObject({ code: 'LWC_LAST_ROLE_ADMIN' })
    await expect(runRoleChange(o, 'grant', 'root', addr(WRITER_KEY))).rejects.toMatchObject({ code: 'LWC_USAGE' })
    await expect(runRoleChange(o, 'grant', 'poster', '0x1234')).rejects.toMatchObject({ code: 'LWC_USAGE' })
  })

  it('serve bootstrap reads only: no key is loaded or used, and a device still bootstraps', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'lp-bs-1' })
    // Were any signer key consulted, this would fail the start (not a key); the profile names none.
    process.env.LWCHAIN_PRIVATE_KEY = 'not-a-key'
    const before = await Promise.all(ANVIL_KEYS.map(nonce))
    const blockBefore = await conn.publicClient.getBlockNumber()
    const bs = await runServeBootstrap({ ...o, port: 0, pollIntervalMs: 100, logger: silentLogger() })
    try {
      delete process.env.LWCHAIN_PRIVATE_KEY
      await eventually(() => bs.view!.clientByEndpoint('lp-bs-1') !== undefined)
      const device = await startBootstrapClient({ server: bs.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key) })
      try {
        expect((await device.requestBootstrap('lp-bs-1')).code).toBe('2.04')
        await device.finished
      } finally {
        await device.stop()
      }
    } finally {
      delete process.env.LWCHAIN_PRIVATE_KEY
      await bs.stop()
    }
    expect(await Promise.all(ANVIL_KEYS.map(nonce))).toEqual(before)
    expect(await conn.publicClient.getBlockNumber()).toBe(blockBefore)
  })

  it('serve server anchors with a poster-only key; without a writer key the admin writes answer 403 and /api/me says why', async () => {
    const s = await serve({ privateKeyFile: keyFile('poster.key', POSTER_KEY) })
    try {
      const { id } = await s.ledger!.accept({ endpoint: 'lp-dev', level: 2, data: { t: 51 } })
      await s.ledger!.flush()
      await eventually(() => s.ledger!.proof(id) !== undefined, 20_000)
      const batch = (await conn.publicClient.readContract({ address: loadProfile(o.configDir).deployment!.contracts.anomalyStore, abi: anomalyStoreAbi, functionName: 'getBatch', args: [BigInt(s.ledger!.proof(id)!.batchId)] })) as { poster: string }
      expect(batch.poster).toBe(addr(POSTER_KEY))
      const token = await login(s)
      const add = await call(s, token, 'POST', '/admin/clients', { endpoint: 'lp-refused' })
      expect(add.status).toBe(403)
      expect(add.body.message).toMatch(/without a writer key \(serve server --writer-key-file\)/)
      expect((await call(s, token, 'DELETE', '/admin/users/root')).status).toBe(403)
      expect((await call(s, token, 'GET', '/admin/users')).status).toBe(200)
      expect((await call(s, token, 'GET', '/me')).body).toMatchObject({ username: 'root', adminWrites: false, adminWritesOff: expect.stringContaining('writer key') })
    } finally {
      await s.stop()
    }
  })

  it('serve server manages devices and users with a writer-only key', async () => {
    const writerBefore = await nonce(WRITER_KEY)
    const s = await serve({ privateKeyFile: keyFile('poster2.key', POSTER_KEY), writerKeyFile: keyFile('writer.key', WRITER_KEY) })
    try {
      const token = await login(s)
      expect((await call(s, token, 'GET', '/me')).body).toMatchObject({ adminWrites: true })
      const add = await call(s, token, 'POST', '/admin/clients', { endpoint: 'lp-written' })
      expect(add.status).toBe(201)
      const tx = await conn.publicClient.getTransaction({ hash: add.body.txHash as `0x${string}` })
      expect(tx.from.toLowerCase()).toBe(addr(WRITER_KEY).toLowerCase())
      expect(await nonce(WRITER_KEY)).toBe(writerBefore + 1)
      // The last admin cannot remove itself: 409, one line.
      const del = await call(s, token, 'DELETE', '/admin/users/root')
      expect(del).toEqual({ status: 409, body: { error: 'conflict', message: 'refusing to remove or demote "root": it is the last admin account (add another admin first)' } })
      expect((await call(s, token, 'PUT', '/admin/users/root', { role: 'user' })).status).toBe(409)
    } finally {
      await s.stop()
    }
  })

  it('a key without its role stops serve server at start, naming the role, before any transaction', async () => {
    const none = keyFile('none.key', NO_ROLE_KEY)
    const before = await nonce(NO_ROLE_KEY)
    await expect(serve({ privateKeyFile: none })).rejects.toMatchObject({
      code: 'LWC_MISSING_ROLE',
      shortMessage: `the anomaly ledger key ${addr(NO_ROLE_KEY)} lacks the poster role on AnomalyStore: grant it with \`lwchain role grant poster ${addr(NO_ROLE_KEY)}\``,
    })
    await expect(serve({ privateKeyFile: keyFile('poster3.key', POSTER_KEY), writerKeyFile: none })).rejects.toMatchObject({
      code: 'LWC_MISSING_ROLE',
      shortMessage: expect.stringMatching(/^the writer key \(--writer-key-file\) 0x[0-9a-fA-F]{40} lacks the writer role on ClientStore and UserStore: grant it with/),
    })
    expect(await nonce(NO_ROLE_KEY)).toBe(before)
  })

  it('role revoke takes a role back: that key can no longer start the server', async () => {
    const r = await runRoleChange(o, 'revoke', 'writer', addr(WRITER_KEY))
    expect(r.changed.map((c) => c.store)).toEqual(['clientStore', 'userStore'])
    await expect(serve({ privateKeyFile: keyFile('poster4.key', POSTER_KEY), writerKeyFile: keyFile('writer2.key', WRITER_KEY) })).rejects.toMatchObject({ code: 'LWC_MISSING_ROLE' })
  })
})
