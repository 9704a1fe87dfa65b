/**
 * `lwchain keys rotate` on a real anvil, with both daemons running on the config dir: the new key
 * goes on chain, every record is re-sealed in batches, the old private key is deleted, and the
 * daemons follow without a restart (new devices bootstrap, old ones keep their keys, logins work).
 * Then the whole chain is searched: no secret in clear, under either key, and no key either.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import pino from 'pino'
import { hexToBytes, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectChain } from '../../src/chain/connectChain.js'
import { clientStoreAbi, userStoreAbi } from '../../src/chain/generated/contracts.js'
import { legacyEmailHash } from '../../src/chain/hashes.js'
import { keyFilePath, loadProfile, readEmailKey, readSealingKey, saveProfile, writeKeyFile } from '../../src/chain/profile.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../../src/chain/sealing.js'
import { clientKeyContext } from '../../src/chain/records/sealContexts.js'
import { openValue } from '../../src/chain/records/sealValue.js'
import { loadViewState } from '../../src/chain/view/loadViewState.js'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runClientImport } from '../../src/commands/client/import.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runKeysRotate, type KeysRotateResult } from '../../src/commands/keys/rotate.js'
import { runServeBootstrap, type RunningBootstrap } from '../../src/commands/serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { eventually, startBootstrapClient } from '../daemons/bootstrap-helpers.js'

const text = (s: string) => new TextEncoder().encode(s)
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))
/** Every form in which a secret could show up: its bytes, and its hex as text (either case). */
function forms(secret: Uint8Array): Buffer[] {
  const raw = Buffer.from(secret)
  const h = raw.toString('hex')
  return [raw, Buffer.from(h), Buffer.from(h.toUpperCase())]
}

describe('sealing key rotation', () => {
  let anvil: TestAnvil
  let dir: string
  let o: { configDir: string; rpc: string }
  let server: RunningServer
  let bootstrap: RunningBootstrap
  const logs: { server: string[]; bootstrap: string[] } = { server: [], bootstrap: [] }
  const clients: { endpoint: string; bootstrap: { identity: string; key: string }; server: { identity: string; key: string } }[] = []
  const users = [
    { username: 'root', email: 'Root.Secret@Example.org', role: 'admin', password: 'root-password-rot-1' },
    { username: 'olga', email: 'olga.private@example.net', role: 'user', password: 'olga-password-rot-2' },
    { username: 'app', email: 'app-owner@example.com', role: 'application', password: 'app-password-rot-3' },
  ]
  let oldKey: Uint8Array
  let oldKeyPath: string
  let result: KeysRotateResult
  const progress: [number, number][] = []
  const loggerOf = (lines: string[]) =>
    pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }))

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-rotate-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    for (const u of users) await runUserAdd(o, u)
    clients.push((await runClientAdd(o, { endpoint: 'rot-1' })).result, (await runClientAdd(o, { endpoint: 'rot-2', printableKeys: true })).result)
    const csv = join(dir, 'import.csv')
    writeFileSync(csv, 'endpoint\n' + Array.from({ length: 12 }, (_, i) => `rot-bulk-${i}`).join('\n') + '\n')
    clients.push(...(await runClientImport(o, { file: csv, batchSize: 5 })).rows)
    const profile = loadProfile(o.configDir)
    oldKey = Uint8Array.from(readSealingKey(profile))
    oldKeyPath = keyFilePath(profile, profile.deployment!.sealingKeyFile)
    server = await runServeServer({ ...o, port: 0, httpPort: 0, pollIntervalMs: 100, singleKey: true, logger: loggerOf(logs.server) })
    bootstrap = await runServeBootstrap({ ...o, port: 0, pollIntervalMs: 100, logger: loggerOf(logs.bootstrap) })
    await eventually(() => clients.every((c) => server.view!.clientByEndpoint(c.endpoint) && bootstrap.view!.clientByEndpoint(c.endpoint)), 20_000)
    result = await runKeysRotate(o, { batchSize: 4, onProgress: (done, total) => {
      progress.push([done, total])
    } })
  }, 120_000)

  afterAll(async () => {
    await bootstrap?.stop()
    await server?.stop()
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('sets the new public key on both stores and re-seals every record in batches, with progress', async () => {
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    const d = loadProfile(o.configDir).deployment!
    for (const [address, abi] of [[d.contracts.clientStore, clientStoreAbi], [d.contracts.userStore, userStoreAbi]] as const) {
      expect(((await conn.publicClient.readContract({ address, abi, functionName: 'sealingPublicKey' })) as Hex).toLowerCase()).toBe(result.newPublicKey)
    }
    expect(result.newPublicKey).not.toBe(result.oldPublicKey)
    expect(d.sealingPublicKey.toLowerCase()).toBe(result.newPublicKey)
    expect(result.keyTransactions).toHaveLength(2)
    expect(result.reseal).toMatchObject({ clients: 14, users: 3, unchanged: 0, retried: 0, unopenable: [], complete: true })
    // 14 clients in batches of 4, 3 users in one.
    expect(result.reseal.transactions).toBe(5)
    expect(progress[0]).toEqual([0, 17])
    expect(progress.at(-1)).toEqual([17, 17])
    // Every current record opens with the new key and no longer with the old one.
    const newKey = readSealingKey(loadProfile(o.configDir))
    const state = await loadViewState(conn.publicClient, { ...d.contracts, deployBlock: BigInt(d.deployBlock) })
    for (const c of state.entries().clients) {
      expect(() => openValue(newKey, c.serverKeySealed, clientKeyContext(c.endpoint, 'server'))).not.toThrow()
      expect(() => openValue(oldKey, c.serverKeySealed, clientKeyContext(c.endpoint, 'server'))).toThrow()
    }
  })

  it('deletes the old private key: the file is gone and no file of the config dir holds it', () => {
    expect(result.deleted).toEqual([oldKeyPath])
    expect(existsSync(oldKeyPath)).toBe(false)
    const oldHex = Buffer.from(oldKey).toString('hex')
    for (const f of readdirSync(o.configDir, { recursive: true }) as string[]) {
      const path = join(o.configDir, f)
      try {
        expect(readFileSync(path, 'latin1').includes(oldHex), path).toBe(false)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err
      }
    }
    expect(loadProfile(o.configDir).deployment).not.toHaveProperty('retiringSealingKeyFiles')
  })

  it('the daemons follow without a restart: old devices keep their keys, new ones bootstrap, logins work', async () => {
    // Both switched to the new key and forgot the old one once every record was re-sealed.
    await eventually(() => [logs.server, logs.bootstrap].every((l) => l.some((line) => line.includes('the old key is forgotten'))), 20_000)
    for (const c of clients) {
      expect(Buffer.from(server.view!.pskFor(c.server.identity, 'server')!.key).toString('hex')).toBe(c.server.key)
      expect(Buffer.from(bootstrap.view!.pskFor(c.bootstrap.identity, 'bootstrap')!.key).toString('hex')).toBe(c.bootstrap.key)
    }
    const { result: fresh } = await runClientAdd(o, { endpoint: 'rot-after' })
    await eventually(() => bootstrap.view!.pskFor(fresh.bootstrap.identity, 'bootstrap') !== undefined, 20_000)
    const device = await startBootstrapClient({ server: bootstrap.address, identity: fresh.bootstrap.identity, key: hex(fresh.bootstrap.key) })
    try {
      expect((await device.requestBootstrap('rot-after')).code).toBe('2.04')
      await device.finished
    } finally {
      await device.stop()
    }
    for (const u of users) {
      for (const account of [u.username, u.email]) {
        const r = await fetch(`${server.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: account, password: u.password }) })
        expect(r.status, account).toBe(200)
      }
    }
    expect([...logs.server, ...logs.bootstrap].filter((l) => l.includes('cannot open a sealed value'))).toEqual([])
  })

  it('leaves no secret on chain under either key: no PSK, password, verifier, e-mail or its plain hash, and no key', async () => {
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    const client = conn.publicClient
    const profile = loadProfile(o.configDir)
    const newKey = readSealingKey(profile)
    const secrets: { what: string; value: Uint8Array }[] = [
      { what: 'old sealing private key', value: oldKey },
      { what: 'new sealing private key', value: newKey },
      { what: 'e-mail key', value: readEmailKey(profile)! },
    ]
    for (const c of clients) for (const side of [c.bootstrap, c.server]) secrets.push({ what: `PSK of ${c.endpoint}`, value: hex(side.key) })
    for (const u of users) {
      secrets.push({ what: `password of ${u.username}`, value: text(u.password) })
      secrets.push({ what: `e-mail of ${u.username}`, value: text(u.email) }, { what: `lower-case e-mail of ${u.username}`, value: text(u.email.toLowerCase()) })
      secrets.push({ what: `plain e-mail hash of ${u.username}`, value: hexToBytes(legacyEmailHash(u.email)) })
    }
    // The verifiers, as a daemon unseals them (with the new key, which now opens every record).
    const d = profile.deployment!
    const state = await loadViewState(client, { ...d.contracts, deployBlock: BigInt(d.deployBlock), unseal: (sealed, context) => {
      // History replays records sealed to the old key first; the final state is all new-key.
      try {
        return openValue(newKey, sealed, context)
      } catch {
        return undefined
      }
    } })
    for (const u of state.users()) {
      secrets.push({ what: `password verifier of ${u.username}`, value: text(u.passwordVerifier!) })
      secrets.push({ what: `password hash of ${u.username}`, value: Buffer.from(u.passwordVerifier!.split('$')[5], 'base64') })
    }
    expect(secrets.length).toBeGreaterThan(45)

    const haystacks: { where: string; data: Buffer }[] = []
    const head = await client.getBlockNumber()
    for (let n = 0n; n <= head; n++) {
      const block = await client.getBlock({ blockNumber: n, includeTransactions: true })
      for (const tx of block.transactions) haystacks.push({ where: `calldata of ${tx.hash}`, data: Buffer.from(hexToBytes(tx.input)) })
    }
    for (const l of await client.getLogs({ fromBlock: 0n, toBlock: head })) {
      haystacks.push({ where: `log ${l.transactionHash}/${l.logIndex}`, data: Buffer.concat([...l.topics.map((t) => Buffer.from(hexToBytes(t))), Buffer.from(hexToBytes(l.data))]) })
    }
    const dump = Buffer.from(hexToBytes((await client.request({ method: 'anvil_dumpState' as never })) as Hex))
    const dumpText = dump[0] === 0x1f && dump[1] === 0x8b ? gunzipSync(dump) : dump
    haystacks.push({ where: 'anvil_dumpState', data: dumpText }, { where: 'anvil_dumpState (lower-cased)', data: Buffer.from(dumpText.toString('latin1').toLowerCase(), 'latin1') })
    // The search works: identities, usernames and the new public key are found.
    for (const v of [text(clients[0].server.identity), text('olga'), hexToBytes(result.newPublicKey)]) {
      expect(haystacks.some((h) => forms(v).some((f) => h.data.includes(f)))).toBe(true)
    }
    const leaks: string[] = []
    for (const s of secrets) for (const h of haystacks) if (forms(s.value).some((f) => h.data.includes(f))) leaks.push(`${s.what} in ${h.where}`)
    expect(leaks).toEqual([])
  })

  it('resumes a rotation interrupted after its new key was written, and the daemons follow a second rotation', async () => {
    // As if a run had written its key and recorded it, then died before setting it on chain.
    const pair = generateSealingKeyPair()
    const d = loadProfile(o.configDir).deployment!
    saveProfile(o.configDir, { deployment: { ...d, pendingSealingKeyFile: writeKeyFile(o.configDir, 'sealing-key-interrupted.hex', pair.privateKey) } })
    const r = await runKeysRotate(o, { batchSize: 50 })
    expect(r).toMatchObject({ resumed: true, newPublicKey: sealingKeyToHex(pair.publicKey).toLowerCase(), reseal: { complete: true } })
    expect(r.reseal.clients).toBe(clients.length + 1)
    expect(loadProfile(o.configDir).deployment).not.toHaveProperty('pendingSealingKeyFile')
    expect(existsSync(keyFilePath(loadProfile(o.configDir), 'sealing-key-interrupted.hex'))).toBe(true)
    await eventually(() => [logs.server, logs.bootstrap].every((l) => l.filter((line) => line.includes('the old key is forgotten')).length >= 2), 20_000)
    for (const c of clients) expect(Buffer.from(server.view!.pskFor(c.server.identity, 'server')!.key).toString('hex')).toBe(c.server.key)
  })
})
