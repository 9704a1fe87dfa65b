/**
 * `lwchain dev` as a person runs it: on a real terminal (a tmux pane), with the live dashboard,
 * stopped by Ctrl-C typed into the pane or by SIGTERM. Both must run the ordered shutdown that
 * `--json` mode runs: devices de-register, then server, bootstrap and last the chain, which saves
 * its state; nothing of the data dir is left running.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, buildIfStale } from '../helpers/binary.js'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
if (!hasTmux) console.warn('dashboard-pty: tmux is not installed (apt-get install tmux); skipping the terminal tests')

/** A tmux server of this test alone, so nothing else's sessions are touched. */
const socket = `lwchain-test-${process.pid}`
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })

/** Processes whose command line names `dir` (the dev process itself, anvil with its state file). */
function processesOf(dir: string): string[] {
  const out = spawnSync('pgrep', ['-af', `${dir}( |/|$)`], { encoding: 'utf8' }).stdout
  return out.split('\n').filter((l) => l.trim() !== '' && !l.includes('tmux') && !l.includes('pgrep'))
}

async function until<T>(what: string, fn: () => T | undefined, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(!hasTmux)('lwchain dev on a terminal', () => {
  let root: string
  beforeAll(async () => {
    await buildIfStale()
    root = mkdtempSync(join(tmpdir(), 'lwchain-pty-'))
  }, 300_000)
  afterAll(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server'])
    for (const line of processesOf(root)) spawnSync('kill', ['-9', line.split(' ')[0]!])
    rmSync(root, { recursive: true, force: true })
  })

  /** Starts dev in a pane, waits for both demo devices to show as registered; returns its pid. */
  async function startDashboard(name: string): Promise<{ dataDir: string; exitFile: string; pid: () => number }> {
    const dataDir = join(root, name)
    const exitFile = join(root, `${name}.exit`)
    const script = join(root, `${name}.sh`)
    // The pane's shell survives the Ctrl-C (`trap :` resets to default in the child) and records
    // how lwchain exited.
    writeFileSync(
      script,
      [
        'trap : INT',
        `echo $$ > ${join(root, `${name}.shell`)}`,
        // A person's terminal has no CI variable; with CI set, ink renders only a final frame.
        `env -u CI -u GITHUB_ACTIONS -u CONTINUOUS_INTEGRATION "${process.execPath}" "${BIN}" dev --demo 2 --data-dir "${dataDir}" --http-port 0 --rpc-port 0 --bootstrap-port 0 --server-port 0 --drift-ms 1000`,
        `echo $? > "${exitFile}"`,
        'sleep 600',
      ].join('\n'),
    )
    tmux('new-session', '-d', '-s', name, '-x', '140', '-y', '40', `bash ${script}`)
    let screen = ''
    await until('two registered demo devices on the dashboard', () => {
      screen = tmux('capture-pane', '-p', '-t', name)
      return (screen.match(/demo-\d\s+registered/g) ?? []).length === 2 ? true : undefined
    }).catch((err: Error) => {
      throw new Error(`${err.message}; the pane shows:\n${screen}`)
    })
    const pid = (): number => {
      const line = processesOf(dataDir).find((l) => l.includes(' dev --demo'))
      if (!line) throw new Error('dev process not found')
      return Number(line.split(' ')[0])
    }
    return { dataDir, exitFile, pid }
  }

  async function expectOrderedShutdown(run: { dataDir: string; exitFile: string }, startedAt: number): Promise<number> {
    const code = await until('lwchain dev to exit', () => (existsSync(run.exitFile) ? readFileSync(run.exitFile, 'utf8').trim() : undefined), 30_000)
    const seconds = (Date.now() - startedAt) / 1000
    expect(code).toBe('0')
    const log = readFileSync(join(run.dataDir, 'dev.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string })
      .map((l) => l.msg)
    const at = (msg: string): number => log.indexOf(msg)
    expect(log.filter((m) => m === 'client deregistered')).toHaveLength(2)
    expect(at('lwchain dev stopping')).toBeGreaterThan(-1)
    expect(at('client deregistered')).toBeGreaterThan(at('lwchain dev stopping'))
    expect(at('LwM2M server stopped')).toBeGreaterThan(at('client deregistered'))
    expect(at('bootstrap server stopped')).toBeGreaterThan(at('LwM2M server stopped'))
    expect(at('lwchain dev stopped')).toBeGreaterThan(at('bootstrap server stopped'))
    expect(existsSync(join(run.dataDir, 'chain', 'anvil-state.json'))).toBe(true)
    // Neither lwchain nor the anvil that holds the data dir's state file is left behind.
    await until('no process of the data dir', () => (processesOf(run.dataDir).length === 0 ? true : undefined), 10_000)
    return seconds
  }

  it('stops in order on Ctrl-C typed into the dashboard', async () => {
    const run = await startDashboard('ctrlc')
    const t0 = Date.now()
    tmux('send-keys', '-t', 'ctrlc', 'C-c')
    const seconds = await expectOrderedShutdown(run, t0)
    expect(seconds).toBeLessThan(10)
    console.info(`dashboard Ctrl-C: stopped in ${seconds.toFixed(2)} s`)
  }, 180_000)

  it('stops in order on SIGTERM', async () => {
    const run = await startDashboard('sigterm')
    const t0 = Date.now()
    process.kill(run.pid(), 'SIGTERM')
    const seconds = await expectOrderedShutdown(run, t0)
    expect(seconds).toBeLessThan(10)
    console.info(`dashboard SIGTERM: stopped in ${seconds.toFixed(2)} s`)
  }, 180_000)
})
