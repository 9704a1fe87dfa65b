import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAnomalyList } from '../../src/commands/anomaly/list.js'
import { runAnomalyPost } from '../../src/commands/anomaly/post.js'
import { runAnomalyVerify } from '../../src/commands/anomaly/verify.js'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runClientImport } from '../../src/commands/client/import.js'
import { runClientList } from '../../src/commands/client/list.js'
import { runClientMove } from '../../src/commands/client/move.js'
import { runClientRemove } from '../../src/commands/client/remove.js'
import { runClientShow } from '../../src/commands/client/show.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import type { ChainCommandOptions } from '../../src/commands/lib/context.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { runUserList, runUserShow } from '../../src/commands/user/list.js'
import { runUserRemove } from '../../src/commands/user/remove.js'
import { runUserUpdate } from '../../src/commands/user/update.js'
import { startAnvil, STRANGER_KEY, type TestAnvil } from '../helpers/anvil.js'

describe('chain commands', () => {
  let anvil: TestAnvil
  let other: TestAnvil
  let dir: string
  let o: ChainCommandOptions

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    ;[anvil, other] = await Promise.all([startAnvil(), startAnvil({ args: ['--chain-id', '4242'] })])
    dir = mkdtempSync(join(tmpdir(), 'lwchain-cli-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
  })

  afterAll(async () => {
    await Promise.allSettled([anvil?.stop(), other?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('deploy writes the profile and a 0600 sealing key, and refuses to deploy twice', async () => {
    const profile = JSON.parse(readFileSync(join(dir, 'cfg', 'profile.json'), 'utf8'))
    expect(profile.deployment.chainId).toBe(31337)
    expect(profile.rpcUrl).toBe(anvil.rpcUrl)
    expect(statSync(join(dir, 'cfg', 'sealing-key.hex')).mode & 0o777).toBe(0o600)
    await expect(runDeploy(o)).rejects.toMatchObject({ code: 'LWC_ALREADY_DEPLOYED' })
  })

  it('client add generates identities and 16-byte keys, shown once; show reveals them only on request', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'dev-1' })
    expect(Object.keys(result).sort()).toEqual(['bootstrap', 'endpoint', 'server', 'txHash'])
    expect(result.bootstrap).toMatchObject({ uri: 'coaps://127.0.0.1:5784' })
    expect(result.server).toMatchObject({ uri: 'coaps://127.0.0.1:5684' })
    expect(result.bootstrap.key).toMatch(/^[0-9a-f]{32}$/)
    expect(result.server.key).toMatch(/^[0-9a-f]{32}$/)
    const hidden = await runClientShow(o, 'dev-1')
    expect(hidden.bootstrap.key).toBeUndefined()
    const shown = await runClientShow(o, 'dev-1', true)
    expect(shown.bootstrap.key).toBe(result.bootstrap.key)
    expect(shown.server.key).toBe(result.server.key)
  })

  it('client add takes given identities and hex keys, and printable keys for libcoap', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'dev-2', bsIdentity: 'id-bs-2', bsKey: '0x000102030405060708090a0b0c0d0e0f', serverIdentity: 'id-srv-2' })
    expect(result.bootstrap).toMatchObject({ identity: 'id-bs-2', key: '000102030405060708090a0b0c0d0e0f' })
    const { result: p } = await runClientAdd(o, { endpoint: 'dev-3', printableKeys: true })
    const text = Buffer.from(p.server.key, 'hex').toString('latin1')
    expect(text).toMatch(/^[\x21-\x7e]{16}$/)
  })

  it('refuses bad input with one typed error each', async () => {
    await expect(runClientAdd(o, { endpoint: '' })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(runClientAdd(o, { endpoint: 'x'.repeat(256) })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(runClientAdd(o, { endpoint: 'bad\uFFFDname' })).rejects.toThrow(/not valid UTF-8/)
    await expect(runClientAdd(o, { endpoint: 'k', bsKey: 'abc' })).rejects.toThrow(/not valid hex/)
    await expect(runClientAdd(o, { endpoint: 'k', serverKey: 'zz' })).rejects.toThrow(/not valid hex/)
    await expect(runClientAdd(o, { endpoint: 'k', serverUri: 'http://x' })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(runClientAdd(o, { endpoint: 'dev-1' })).rejects.toMatchObject({ code: 'LWC_CLIENT_EXISTS' })
    await expect(runClientAdd(o, { endpoint: 'dev-4', bsIdentity: 'id-bs-2' })).rejects.toMatchObject({ code: 'LWC_IDENTITY_TAKEN' })
    await expect(runClientRemove(o, 'nobody')).rejects.toMatchObject({ code: 'LWC_CLIENT_NOT_FOUND', shortMessage: 'client "nobody" not found' })
    await expect(runUserAdd(o, { username: 'u', email: 'u@example.com', role: 'wizard' })).rejects.toThrow(/unknown role/)
  })

  it("refuses a stranger's key, an unreachable RPC, a wrong chain id and a missing deployment", async () => {
    const keyFile = join(dir, 'stranger.key')
    writeFileSync(keyFile, STRANGER_KEY)
    await expect(runClientAdd({ ...o, privateKeyFile: keyFile }, { endpoint: 'evil' })).rejects.toMatchObject({ code: 'LWC_UNAUTHORIZED' })
    const down = runClientList({ ...o, rpc: 'http://user:secret@127.0.0.1:1' })
    await expect(down).rejects.toMatchObject({ code: 'LWC_CHAIN_UNREACHABLE' })
    await expect(down).rejects.not.toThrow(/secret/)
    await expect(runClientList({ ...o, rpc: other.rpcUrl })).rejects.toMatchObject({ code: 'LWC_WRONG_CHAIN' })
    await expect(runClientList({ ...o, rpc: 'not-a-url' })).rejects.toMatchObject({ code: 'LWC_USAGE' })
    await expect(runClientList({ configDir: join(dir, 'empty'), rpc: anvil.rpcUrl })).rejects.toMatchObject({ code: 'LWC_NOT_DEPLOYED' })
    await expect(runDeploy({ configDir: join(dir, 'other'), rpc: other.rpcUrl })).rejects.toMatchObject({ code: 'LWC_SIGNER_REQUIRED' })
  })

  it('deploy on another chain with a key file remembers its path, and later commands sign with it', async () => {
    const keyFile = join(dir, 'deployer-4242.key')
    writeFileSync(keyFile, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n', { mode: 0o600 })
    const p = { configDir: join(dir, 'cfg-4242'), rpc: other.rpcUrl }
    const d = await runDeploy({ ...p, privateKeyFile: keyFile })
    expect(d.chainId).toBe(4242)
    expect(d.deployer).toMatch(/^0x70997970/) // anvil account 1, not the default account 0
    const profileText = readFileSync(join(p.configDir, 'profile.json'), 'utf8')
    expect(profileText).toContain(keyFile)
    expect(profileText).not.toContain('59c6995e998f97a5')
    const { result } = await runClientAdd(p, { endpoint: 'on-4242' })
    expect(result.txHash).toMatch(/^0x/)
  })

  it('client move re-homes a device and keeps its keys; remove revokes it', async () => {
    const before = await runClientShow(o, 'dev-3', true)
    const moved = await runClientMove(o, { endpoint: 'dev-3', serverUri: 'coaps://10.0.0.7:5684' })
    expect(moved.version).toBe(2)
    const after = await runClientShow(o, 'dev-3', true)
    expect(after.server.uri).toBe('coaps://10.0.0.7:5684')
    expect(after.server.key).toBe(before.server.key)
    await runClientRemove(o, 'dev-3')
    expect((await runClientList(o)).map((c) => c.endpoint)).not.toContain('dev-3')
  })

  it('client import validates every row before sending anything', async () => {
    const file = join(dir, 'bad.csv')
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('endpoint,server_uri,bs_key\nok-1,,\n,,\nok-2,,nothex\nok-1,,\n'),
        Buffer.from([0x62, 0xff, 0x0a]),
        Buffer.from('dev-1,,\n'),
      ]),
    )
    const err = await runClientImport(o, { file }).catch((e) => e)
    expect(err.code).toBe('LWC_IMPORT_INVALID')
    expect(err.invalid.map((r: { row: number }) => r.row)).toEqual([2, 3, 4, 5])
    // The chain check comes only after the file is clean.
    writeFileSync(file, 'endpoint\nfresh-1\ndev-1\n')
    const taken = await runClientImport(o, { file }).catch((e) => e)
    expect(taken.code).toBe('LWC_IMPORT_INVALID')
    expect(taken.invalid).toEqual([expect.objectContaining({ row: 2, endpoint: 'dev-1' })])
    expect((await runClientList(o)).map((c) => c.endpoint)).not.toContain('fresh-1')
  })

  it('client import provisions CSV and JSON in batches and reports every row', async () => {
    const csv = join(dir, 'good.csv')
    const lines = ['endpoint,bootstrap_uri,server_uri,bs_identity,bs_key,server_identity,server_key']
    for (let i = 0; i < 25; i++) lines.push(`bulk-${i},,coaps://10.0.0.1:5684,,,${i === 0 ? 'given-id' : ''},${i === 0 ? '00112233445566778899aabbccddeeff' : ''}`)
    writeFileSync(csv, lines.join('\n') + '\n')
    const progress: number[] = []
    const report = await runClientImport(o, { file: csv, batchSize: 10, onProgress: (done) => progress.push(done) })
    expect(report).toMatchObject({ total: 25, landed: 25, failed: 0, batches: 3 })
    expect(report.rows[0].server).toMatchObject({ identity: 'given-id', key: '00112233445566778899aabbccddeeff' })
    expect(progress.at(-1)).toBe(25)
    const shown = await runClientShow(o, 'bulk-7', true)
    expect(shown.bootstrap.key).toBe(report.rows[7].bootstrap.key)

    const json = join(dir, 'good.json')
    writeFileSync(json, JSON.stringify([{ endpoint: 'j-1' }, { endpoint: 'j-2', server: { uri: 'coaps://10.0.0.2:5684', identity: 'j2-id', key: '0a0b0c0d0e0f10111213141516171819' } }]))
    const r2 = await runClientImport(o, { file: json })
    expect(r2.rows.map((r) => r.status)).toEqual(['landed', 'landed'])
    expect((await runClientShow(o, 'j-2')).server.identity).toBe('j2-id')
  })

  it('user add seals the e-mail and a password verifier; update changes role; list shows no secrets', async () => {
    const added = await runUserAdd(o, { username: 'alice', email: 'alice@example.com', role: 'admin' })
    expect(added.password).toMatch(/^.{20}$/)
    const given = await runUserAdd(o, { username: 'app', email: 'app@example.com', role: 'application', password: 'from stdin' })
    expect(given.password).toBeUndefined()
    await expect(runUserAdd(o, { username: 'eve', email: 'ALICE@example.com', role: 'user' })).rejects.toMatchObject({ code: 'LWC_EMAIL_TAKEN' })
    await expect(runUserAdd(o, { username: 'alice', email: 'a2@example.com', role: 'user' })).rejects.toMatchObject({ code: 'LWC_USER_EXISTS' })
    // The only admin can be neither demoted nor removed; with a second admin she can.
    await expect(runUserUpdate(o, { username: 'alice', role: 'user' })).rejects.toMatchObject({ code: 'LWC_LAST_ADMIN' })
    await expect(runUserRemove(o, 'alice')).rejects.toMatchObject({ code: 'LWC_LAST_ADMIN' })
    await runUserAdd(o, { username: 'bob', email: 'bob@example.com', role: 'admin' })
    const up = await runUserUpdate(o, { username: 'alice', role: 'user' })
    expect(up).toMatchObject({ role: 'user', changed: ['role'], version: 2 })
    await expect(runUserUpdate(o, { username: 'ghost', role: 'user' })).rejects.toMatchObject({ code: 'LWC_USER_NOT_FOUND' })
    const list = await runUserList(o)
    expect(list).toEqual([
      { username: 'alice', role: 'user', version: 2 },
      { username: 'app', role: 'application', version: 1 },
      { username: 'bob', role: 'admin', version: 1 },
    ])
    expect(JSON.stringify(await runUserShow(o, 'alice'))).not.toMatch(/example\.com/)
  })

  it('anomaly post anchors a batch of one; list filters by endpoint and time; verify checks the on-chain root', async () => {
    const a = await runAnomalyPost(o, { endpoint: 'dev-1', level: 3, data: '{"temp": 97.5}', timestamp: '2026-01-01T12:00:00Z' })
    expect(a).toMatchObject({ endpoint: 'dev-1', level: 3, data: { temp: 97.5 }, timestamp: '2026-01-01T12:00:00.000Z', batchId: '1' })
    const b = await runAnomalyPost(o, { endpoint: 'dev-2', level: 1, data: '{"x":1}', timestamp: '2026-02-01T00:00:00Z' })
    await expect(runAnomalyPost(o, { endpoint: 'dev-2', level: 256, data: '{}' })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
    await expect(runAnomalyPost(o, { endpoint: 'dev-2', level: 1, data: '{nope' })).rejects.toThrow(/not valid JSON/)
    expect((await runAnomalyList(o)).items.map((x) => x.id)).toEqual([a.id, b.id])
    const one = await runAnomalyList(o, { endpoint: 'dev-1' })
    expect(one.items).toEqual([expect.objectContaining({ id: a.id, level: 3, data: { temp: 97.5 }, timestamp: '2026-01-01T12:00:00.000Z', status: 'anchored' })])
    expect((await runAnomalyList(o, { from: '2026-01-15T00:00:00Z' })).items.map((x) => x.id)).toEqual([b.id])
    expect((await runAnomalyList(o, { to: '2026-01-15T00:00:00Z' })).items.map((x) => x.id)).toEqual([a.id])
    expect(await runAnomalyVerify(o, a.id)).toMatchObject({ id: a.id, valid: true, verdict: 'VALID', problems: [] })
    await expect(runAnomalyVerify(o, '01NOSUCHANOMALY')).rejects.toMatchObject({ code: 'LWC_ANOMALY_NOT_FOUND' })
    await expect(runAnomalyVerify(o, 'bad id!')).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
  })
})
