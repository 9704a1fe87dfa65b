/**
 * `lwchain role`, `lwchain keys rotate` and `lwchain user remove` of the last admin through the
 * built binary: --help with examples, --json, one clear stderr line, exit 2 on usage errors and
 * 1 on failures (custom errors decoded into words).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANVIL_KEYS, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { buildIfStale, run } from '../helpers/binary.js'

const POSTER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' // anvil account 1

// Each test spawns the binary several times (about a second each when the machine is idle).
describe('role, keys and the last admin on the command line', { timeout: 180_000 }, () => {
  let anvil: TestAnvil
  let dir: string
  let g: string[]

  beforeAll(async () => {
    await buildIfStale()
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-rolecli-'))
    g = ['--config-dir', join(dir, 'cfg'), '--rpc', anvil.rpcUrl]
    expect((await run(['deploy', ...g])).code).toBe(0)
  }, 180_000)

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('documents the commands with examples', async () => {
    for (const args of [['role', 'grant', '--help'], ['role', 'list', '--help'], ['keys', 'rotate', '--help'], ['user', 'migrate-emails', '--help']]) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/Examples?:\n {2}\$ lwchain /)
    }
  })

  it('grants, lists and revokes a role, as JSON', async () => {
    const grant = await run(['role', 'grant', 'poster', POSTER, '--json', ...g])
    expect(grant.code).toBe(0)
    expect(JSON.parse(grant.stdout)).toMatchObject({ role: 'poster', account: POSTER, changed: [{ store: 'anomalyStore' }], unchanged: [] })
    const list = await run(['role', 'list', 'poster', '--json', ...g])
    expect(JSON.parse(list.stdout).holders.map((h: { account: string }) => h.account)).toEqual(expect.arrayContaining([POSTER]))
    const one = await run(['role', 'list', POSTER, ...g])
    expect(one.stdout.trim()).toBe(`${POSTER}: poster`)
    expect((await run(['role', 'revoke', 'poster', POSTER, ...g])).stdout).toMatch(/^revoked poster from 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 on AnomalyStore \(0x[0-9a-f]{64}\)\n$/)
  })

  it('exit 2 with one line on usage errors, exit 1 on refusals', async () => {
    const bad = await run(['role', 'grant', 'root', POSTER, ...g])
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: 'error: unknown role "root" (expected admin, writer or poster)\n' })
    expect((await run(['role', 'grant', 'poster', 'nobody', ...g])).code).toBe(2)
    expect((await run(['role', 'grant', 'poster', ...g])).code).toBe(2)
    const key = join(dir, 'stranger.key')
    writeFileSync(key, ANVIL_KEYS[9])
    const refused = await run(['role', 'grant', 'writer', POSTER, '--private-key-file', key, ...g])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error: account 0x[0-9a-fA-F]{40} lacks the admin role needed for this write: grant it with `lwchain role grant admin 0x[0-9a-fA-F]{40}`\n$/)
    const last = await run(['role', 'revoke', 'admin', '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', ...g])
    expect(last.code).toBe(1)
    expect(last.stderr).toMatch(/^error: refusing to revoke admin from 0x[0-9a-fA-F]{40}: it is the last admin of ClientStore/)
  })

  it('refuses to remove or demote the last admin account (exit 1, one line)', async () => {
    expect((await run(['user', 'add', 'root', '--email', 'root@example.org', '--role', 'admin', ...g])).code).toBe(0)
    for (const args of [['user', 'remove', 'root'], ['user', 'update', 'root', '--role', 'user']]) {
      const r = await run([...args, ...g])
      expect(r, args.join(' ')).toMatchObject({ code: 1, stderr: 'error: refusing to remove or demote "root": it is the last admin account (add another admin first)\n' })
    }
  })

  it('rotates the sealing key and reports as JSON', async () => {
    expect((await run(['client', 'add', 'cli-rot', ...g])).code).toBe(0)
    const r = await run(['keys', 'rotate', '--json', ...g])
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ resumed: false, reseal: { clients: 1, users: 1, complete: true } })
    expect(out.newPublicKey).not.toBe(out.oldPublicKey)
    expect(out.deleted).toHaveLength(1)
    const show = await run(['client', 'show', 'cli-rot', '--reveal', '--json', ...g])
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout).server.key).toMatch(/^[0-9a-f]{32}$/)
    expect((await run(['keys', 'rotate', '--batch-size', '0', ...g])).code).toBe(2)
  })
})
