import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, run, start, type Running } from '../helpers/binary.js'

/** Starts `lwchain chain start --json` and resolves with the process and its RPC URL. */
async function startChain(dataDir: string): Promise<{ running: Running; rpc: string }> {
  const running = start(['chain', 'start', '--port', '0', '--data-dir', dataDir, '--json'])
  return { running, rpc: (JSON.parse(await running.line()) as { rpc: string }).rpc }
}

describe('the lwchain binary', () => {
  let dir: string
  let chain: { running: Running; rpc: string } | undefined

  beforeAll(async () => {
    // `npm test` builds first; build here only when dist is missing or older than src, because
    // tsup cleans dist/ and would pull it from under other test files spawning the binary.
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-bin-'))
  }, 180_000)

  afterAll(async () => {
    await chain?.running.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs the embedded chain, deploys, provisions, and keeps state across a restart', async () => {
    const dataDir = join(dir, 'chain')
    chain = await startChain(dataDir)
    const g = ['--config-dir', join(dir, 'cfg'), '--rpc', chain.rpc, '--json']

    const deploy = await run(['deploy', ...g])
    expect(deploy.code).toBe(0)
    expect(JSON.parse(deploy.stdout).chainId).toBe(31337)

    const add = await run(['client', 'add', 'bin-1', ...g])
    expect(add.code).toBe(0)
    const added = JSON.parse(add.stdout)
    expect(Object.keys(added).sort()).toEqual(['bootstrap', 'endpoint', 'server', 'txHash'])
    expect(added.bootstrap.key).toMatch(/^[0-9a-f]{32}$/)

    expect(await chain.running.stop()).toBe(0)
    expect(existsSync(join(dataDir, 'anvil-state.json'))).toBe(true)

    chain = await startChain(dataDir)
    const g2 = ['--config-dir', join(dir, 'cfg'), '--rpc', chain.rpc, '--json']
    const list = await run(['client', 'list', ...g2])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).map((c: { endpoint: string }) => c.endpoint)).toEqual(['bin-1'])
    const show = await run(['client', 'show', 'bin-1', '--reveal', ...g2])
    expect(JSON.parse(show.stdout).server.key).toBe(added.server.key)
  }, 120_000)

  it('fails with one clear line: exit 2 for a malformed argument, exit 1 for a failure', async () => {
    const g = ['--config-dir', join(dir, 'cfg'), '--rpc', chain!.rpc]
    for (const [code, args] of [
      [2, ['client', 'add', '', ...g]],
      [2, ['client', 'add', 'x', '--bs-key', 'nothex', ...g]],
      [1, ['client', 'remove', 'nobody', ...g]],
      [1, ['client', 'add', 'bin-1', ...g]],
      [2, ['user', 'add', 'u', '--email', 'u@example.com', '--role', 'wizard', ...g]],
      [1, ['client', 'list', '--config-dir', join(dir, 'cfg'), '--rpc', 'http://user:hunter2@127.0.0.1:1']],
    ] as const) {
      const r = await run([...args])
      expect(r.code, args.join(' ')).toBe(code)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^error: /)
      expect(r.stderr).not.toMatch(/hunter2|    at /)
    }
    const usage = await run(['client', 'add', '--no-such-option', ...g])
    expect(usage.code).toBe(2)
    const help = await run(['client', 'import', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Example/)
  }, 120_000)
})
