import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = join(process.cwd(), 'bin', 'lwchain.js')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

function isBuildFresh(): boolean {
  const out = join(process.cwd(), 'dist', 'cli.js')
  return existsSync(out) && statSync(out).mtimeMs >= newestMtime(join(process.cwd(), 'src'))
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built binary to completion. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LWCHAIN_PRIVATE_KEY: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Starts `lwchain chain start --json` and resolves with the process and its RPC URL. */
function startChain(dataDir: string): Promise<{ child: ChildProcess; rpc: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'chain', 'start', '--port', '0', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve({ child, rpc: (JSON.parse(line) as { rpc: string }).rpc }))
    child.once('exit', (code) => reject(new Error(`chain start exited with ${code}`)))
  })
}

function stopChain(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.kill('SIGTERM')
  })
}

describe('the lwchain binary', () => {
  let dir: string
  let chain: { child: ChildProcess; rpc: string } | undefined

  beforeAll(() => {
    // `npm test` builds first; build here only when dist is missing or older than src, because
    // tsup cleans dist/ and would pull it from under other test files spawning the binary.
    if (!isBuildFresh()) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' })
    dir = mkdtempSync(join(tmpdir(), 'lwchain-bin-'))
  }, 180_000)

  afterAll(async () => {
    if (chain && chain.child.exitCode === null) await stopChain(chain.child)
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

    expect(await stopChain(chain.child)).toBe(0)
    expect(existsSync(join(dataDir, 'anvil-state.json'))).toBe(true)

    chain = await startChain(dataDir)
    const g2 = ['--config-dir', join(dir, 'cfg'), '--rpc', chain.rpc, '--json']
    const list = await run(['client', 'list', ...g2])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).map((c: { endpoint: string }) => c.endpoint)).toEqual(['bin-1'])
    const show = await run(['client', 'show', 'bin-1', '--reveal', ...g2])
    expect(JSON.parse(show.stdout).server.key).toBe(added.server.key)
  })

  it('fails with one clear line and exit 1 on bad input, exit 2 on usage errors', async () => {
    const g = ['--config-dir', join(dir, 'cfg'), '--rpc', chain!.rpc]
    for (const args of [
      ['client', 'add', '', ...g],
      ['client', 'add', 'x', '--bs-key', 'nothex', ...g],
      ['client', 'remove', 'nobody', ...g],
      ['client', 'add', 'bin-1', ...g],
      ['user', 'add', 'u', '--email', 'u@example.com', '--role', 'wizard', ...g],
      ['client', 'list', '--config-dir', join(dir, 'cfg'), '--rpc', 'http://user:hunter2@127.0.0.1:1'],
    ]) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(1)
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
  })
})
