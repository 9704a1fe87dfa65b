// Fig. 10: gas and time of one client add and one client remove as the registry grows, and the
// batch import throughput (10,000 devices through `client import`).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPublicClient, http, type Hash } from 'viem'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runClientAdd } from '../src/commands/client/add.js'
import { runClientImport } from '../src/commands/client/import.js'
import { runClientRemove } from '../src/commands/client/remove.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { freeTcpPort } from '../test/helpers/ports.js'
import { provisionDirect } from './lib/provision.js'
import { load1, stopWithin, summarize, type Summary } from './lib/stats.js'

export interface ProvisioningRow {
  /** Clients already in the registry when the add is sent. */
  existing: number
  addGas: Summary
  removeGas: Summary
  /** Whole `client add` / `client remove` command until mined (embedded chain, mined on demand), ms. */
  addMs: Summary
  removeMs: Summary
  load: number
}

export interface ImportRun {
  clients: number
  seconds: number
  transactions: number
}

/** The paper's reference contract (Fig. 10 / Section V): gas per add at 1, 100 and 500 clients. */
export const PAPER_GAS = { 1: 203_000, 100: 428_000, 500: 1_410_000 } as const

async function importN(cmd: { configDir: string; rpc: string }, dir: string, prefix: string, n: number, batchSize?: number): Promise<ImportRun> {
  const file = join(dir, `${prefix}.csv`)
  writeFileSync(file, 'endpoint\n' + Array.from({ length: n }, (_, i) => `${prefix}-${i}`).join('\n') + '\n')
  const t0 = performance.now()
  const report = await runClientImport(cmd, { file, batchSize })
  const seconds = (performance.now() - t0) / 1000
  if (report.landed !== n) throw new Error(`only ${report.landed} of ${n} clients landed`)
  return { clients: n, seconds: Math.round(seconds * 100) / 100, transactions: report.batches }
}

async function withChain<T>(fn: (cmd: { configDir: string; rpc: string }, dir: string) => Promise<T>): Promise<T> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-prov-'))
  const chain = await startEmbeddedChain({ port: await freeTcpPort(), dataDir: join(dir, 'chain') })
  try {
    const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
    await runDeploy(cmd)
    return await fn(cmd, dir)
  } finally {
    await stopWithin('anvil', () => chain.stop())
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Grows one registry through `sizes` (by import) and at each size times `runs` add+remove pairs. */
export async function runProvisioningBench(o: { sizes: number[]; runs: number; log?: (m: string) => void; rows?: ProvisioningRow[] }): Promise<ProvisioningRow[]> {
  const log = o.log ?? (() => {})
  return withChain(async (cmd, dir) => {
    const pc = createPublicClient({ transport: http(cmd.rpc) })
    const gasOf = async (hash: Hash) => Number((await pc.getTransactionReceipt({ hash })).gasUsed)
    const rows: ProvisioningRow[] = o.rows ?? []
    let existing = 0
    for (const size of o.sizes) {
      if (size > existing) {
        // Straight addClients batches: `client import` fails its pre-check past ~4,500 clients.
        const t = performance.now()
        for (let off = existing; off < size; off += 2000) await provisionDirect(cmd, Array.from({ length: Math.min(2000, size - off) }, (_, i) => ({ endpoint: `grow-${off + i}` })))
        log(`  fig10: registry at ${size} (${((performance.now() - t) / 1000).toFixed(1)} s to add ${size - existing})`)
        existing = size
      }
      const addGas: number[] = [], removeGas: number[] = [], addMs: number[] = [], removeMs: number[] = []
      for (let i = 0; i < o.runs; i++) {
        const ep = `probe-${size}-${i}`
        let t = performance.now()
        const { result } = await runClientAdd(cmd, { endpoint: ep })
        addMs.push(performance.now() - t)
        addGas.push(await gasOf(result.txHash))
        t = performance.now()
        const removed = await runClientRemove(cmd, ep)
        removeMs.push(performance.now() - t)
        removeGas.push(await gasOf(removed.txHash))
      }
      rows.push({ existing, addGas: summarize(addGas), removeGas: summarize(removeGas), addMs: summarize(addMs), removeMs: summarize(removeMs), load: load1() })
      log(`  fig10: at ${existing}: add ${rows.at(-1)!.addGas.median} gas, remove ${rows.at(-1)!.removeGas.median} gas`)
    }
    return rows
  })
}

/**
 * Imports `clients` devices into a fresh registry `runs` times, each in its own process and chain.
 * A run is *stalled* when its process uses no CPU for `stallS` seconds (the old sealing deadlock
 * sat at 0 % CPU for good); a slow run on a loaded machine keeps using CPU and is waited for, up
 * to `timeoutS`. A stalled or overrunning run is killed and reported.
 */
export async function runImportThroughput(o: { clients: number; runs: number; timeoutS?: number; stallS?: number; log?: (m: string) => void }): Promise<ImportRun[]> {
  const out: ImportRun[] = []
  const script = join(dirname(fileURLToPath(import.meta.url)), 'import-child.ts')
  const timeoutS = o.timeoutS ?? 300
  const stallS = o.stallS ?? 20
  for (let i = 0; i < o.runs; i++) {
    const run = await new Promise<ImportRun>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, String(o.clients)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true })
      let text = ''
      let why = ''
      child.stdout.on('data', (b: Buffer) => (text += b.toString()))
      // Its own process group: a kill takes it along; its chain is killed by pid.
      const kill = (reason: string): void => {
        why = reason
        const m = /\{"anvilPid":(\d+)\}/.exec(text)
        if (m) safeKill(Number(m[1]))
        safeKill(-child.pid!)
      }
      const started = Date.now()
      let lastCpu = -1
      let lastChange = Date.now()
      const watch = setInterval(() => {
        const cpu = cpuTicks(child.pid!)
        if (cpu !== lastCpu) (lastCpu = cpu), (lastChange = Date.now())
        if (Date.now() - lastChange > stallS * 1000) kill(`stalled: no CPU used for ${stallS} s`)
        else if (Date.now() - started > timeoutS * 1000) kill(`did not finish within ${timeoutS} s`)
      }, 1000)
      child.on('exit', (code, signal) => {
        clearInterval(watch)
        const line = text.trim().split('\n').pop() ?? ''
        if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ImportRun)
        else reject(new Error(`import run ${i + 1} ${why || `exited with ${code ?? signal}`}`))
      })
    }).catch((err: Error) => {
      o.log?.(`  fig10: ${err.message}`)
      return undefined
    })
    if (run) {
      out.push(run)
      o.log?.(`  fig10: import ${i + 1} of ${o.runs} (${o.clients} rows): ${run.seconds} s`)
    }
  }
  return out
}

/** utime + stime of a process from /proc (Linux), in clock ticks; -1 when it is gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return -1
  }
}

function safeKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
