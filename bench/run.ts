// `npm run bench [-- --quick]`: every measurement of the paper's evaluation (Figs. 9-14) plus the
// scale figures, side by side with the in-memory baseline; writes bench/results.{md,json} and
// bench/plots/*.svg. Each part is bounded; a part that fails or overruns is reported, not fatal.
import { spawn } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runImportThroughput, runProvisioningBench, type ProvisioningRow } from './provisioning.js'
import { runRegistrationBench, type RegistrationRow } from './registration.js'
import { notes } from './notes.js'
import { type AnomaliesOut, type BenchData, headline, writeReport } from './report.js'
import { runRevocationBench, runScaleBench, type ScaleRow } from './scale.js'
import { runUsersBench } from './users.js'
import { runTransportBench } from './transport.js'
import { runScale100kBench } from './scale100k.js'
import { runColdStartBench } from './coldstart.js'
import { machine } from './lib/stats.js'

const quick = process.argv.includes('--quick')
/** `--part NAME` (repeatable, or comma-separated) runs only those parts; the others keep their last figures. */
const PARTS = ['registration', 'provisioning', 'import', 'users', 'anomalies', 'scale', 'revocation', 'transport', 'scale100k', 'coldstart'] as const
type Part = (typeof PARTS)[number]
const selected = new Set<Part>(
  process.argv.flatMap((a, i, all) => (all[i - 1] === '--part' ? a.split(',') : a.startsWith('--part=') ? a.slice(7).split(',') : [])) as Part[],
)
for (const p of selected) if (!PARTS.includes(p)) throw new Error(`unknown --part ${p} (one of ${PARTS.join(', ')})`)
const runs = (p: Part): boolean => selected.size === 0 || selected.has(p)
const benchDir = dirname(fileURLToPath(import.meta.url))
const log = (m: string) => console.log(m)

/** Sizes and run counts: the quick run keeps every figure but shrinks them to fit 5 minutes on 2 cores. */
const PLAN = quick
  ? { regSizes: [10, 100, 1000, 10_000], regRuns: 9, provSizes: [1, 100, 1000, 10_000], provRuns: 5, importRuns: 5, userSizes: [1, 10, 25], userRuns: 5, scaleDevices: 1000, scaleConcurrency: 25, revocationRuns: 10, bigDevices: 10_000, bigRegisterS: 60, bigLoadS: 10, coldClients: 10_000 }
  : { regSizes: [10, 100, 1000, 10_000], regRuns: 21, provSizes: [1, 100, 1000, 10_000], provRuns: 10, importRuns: 20, userSizes: [1, 10, 100], userRuns: 10, scaleDevices: 10_000, scaleConcurrency: 50, revocationRuns: 30, bigDevices: 100_000, bigRegisterS: 300, bigLoadS: 20, coldClients: 100_000 }
/** Per-part wall-clock bound, seconds. */
const LIMIT = quick
  ? { registration: 90, provisioning: 50, import: 200, users: 40, anomalies: 120, scale: 60, revocation: 60, transport: 120, scale100k: 150, coldstart: 150 }
  : { registration: 600, provisioning: 400, import: 1800, users: 300, anomalies: 900, scale: 1200, revocation: 120, transport: 300, scale100k: 480, coldstart: 900 }

async function bounded<T>(name: string, seconds: number, fn: () => Promise<T>, errors: Record<string, string>): Promise<T | undefined> {
  const t0 = performance.now()
  log(`${name}: starting (bound ${seconds} s)`)
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([fn(), new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`did not finish within ${seconds} s`)), seconds * 1000)))])
  } catch (err) {
    errors[name] = (err as Error).message
    log(`${name}: FAILED: ${(err as Error).stack ?? err}`)
    return undefined
  } finally {
    clearTimeout(timer)
    log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
}

/** bench/anomalies.ts (the ledger's own benchmark) in a child process; its JSON is read back. */
function runAnomalies(seconds: number): Promise<AnomaliesOut> {
  const file = join(benchDir, 'out', 'anomalies.json')
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, 'anomalies.ts'), ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000)
    child.stdout.on('data', () => {}) // its tables are summarised in results.md
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`bench/anomalies.ts exited with ${code ?? signal}`))
      if (!existsSync(file) || statSync(file).mtimeMs < started) return reject(new Error('bench/anomalies.ts wrote no fresh bench/out/anomalies.json'))
      resolve(JSON.parse(readFileSync(file, 'utf8')) as AnomaliesOut)
    })
  })
}

/** Writes the report with what is measured so far (a later stall still leaves the earlier figures). */
function save(d: BenchData, t0: number): void {
  d.durationS = Math.round((performance.now() - t0) / 1000)
  // The duration of the last run of every part, kept through later `--part` runs.
  if (selected.size === 0) d.fullRun = { startedAt: d.startedAt, durationS: d.durationS, quick: d.quick }
  writeReport(benchDir, d, notes(d))
}

/**
 * Last resort against a part that blocks the event loop (timers then never fire): a worker thread
 * stops this process's children (anvil, servers) and then the process itself after `seconds`.
 */
function startWatchdog(seconds: number): void {
  const code = `
    const { readFileSync, readdirSync } = require('node:fs')
    setTimeout(() => {
      const pid = ${process.pid}
      let kids = []
      try { for (const t of readdirSync('/proc/' + pid + '/task')) kids.push(...readFileSync('/proc/' + pid + '/task/' + t + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean)) } catch {}
      console.error('bench: watchdog: still running after ${seconds} s; stopping ' + kids.length + ' child processes and exiting (the report holds the parts finished so far)')
      for (const k of kids) { try { process.kill(-Number(k), 'SIGKILL') } catch {} try { process.kill(Number(k), 'SIGKILL') } catch {} }
      process.kill(pid, 'SIGKILL')
    }, ${seconds * 1000})
  `
  new Worker(code, { eval: true }).unref()
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString()
  const t0 = performance.now()
  const m = machine()
  log(`lwchain bench (${quick ? 'quick' : 'full'}) on ${m.cpu}, ${m.cores} cores, node ${m.node}, load ${m.loadAverage}`)
  const errors: Record<string, string> = {}
  // With --part, the parts not run keep the figures of the last run (results.json's raw data).
  const previous = selected.size > 0 && existsSync(join(benchDir, 'results.json')) ? (JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8')).raw as BenchData) : undefined
  const d: BenchData = { ...previous, quick, startedAt, durationS: 0, machine: m, errors, parts: selected.size > 0 ? [...selected] : undefined }
  startWatchdog(quick ? 280 : 2400)
  if (runs('registration')) {
    const regRows: RegistrationRow[] = []
    await bounded('fig9 registration', LIMIT.registration, () => runRegistrationBench({ sizes: PLAN.regSizes, runs: PLAN.regRuns, log, rows: regRows }), errors)
    d.registration = regRows.length ? regRows : undefined
  }
  if (runs('provisioning')) {
    const provRows: ProvisioningRow[] = []
    await bounded('fig10 add/remove', LIMIT.provisioning, () => runProvisioningBench({ sizes: PLAN.provSizes, runs: PLAN.provRuns, log, rows: provRows }), errors)
    d.provisioning = { rows: provRows, imports: d.provisioning?.imports ?? [] }
    save(d, t0)
  }
  if (runs('import')) {
    // Consecutive 10,000-row imports into fresh chains: each must finish (none may stall).
    const imports = (await bounded('fig10 import', LIMIT.import, () => runImportThroughput({ clients: 10_000, runs: PLAN.importRuns, timeoutS: 300, stallS: 20, log }), errors)) ?? []
    if (imports.length < PLAN.importRuns) errors['fig10 import'] ??= `${PLAN.importRuns - imports.length} of ${PLAN.importRuns} import runs failed or stalled (killed)`
    d.provisioning = { rows: d.provisioning?.rows ?? [], imports }
    save(d, t0)
  }
  if (runs('users')) {
    d.users = await bounded('fig11/12 users', LIMIT.users, () => runUsersBench({ sizes: PLAN.userSizes, runs: PLAN.userRuns, log }), errors)
    save(d, t0)
  }
  if (runs('anomalies')) {
    d.anomalies = await bounded('fig13/14 anomalies', LIMIT.anomalies, () => runAnomalies(LIMIT.anomalies - 5), errors)
    save(d, t0)
  }
  if (runs('scale')) {
    d.scale = await bounded('scale', LIMIT.scale, async () => {
      const rows: ScaleRow[] = []
      for (const transport of ['udp', 'dtls'] as const) rows.push(await runScaleBench({ transport, devices: PLAN.scaleDevices, concurrency: PLAN.scaleConcurrency, log }))
      return { rows, revocation: await runRevocationBench({ runs: PLAN.revocationRuns, log }) }
    }, errors)
  }
  // Revocation alone (also part of 'scale'): keeps the scale rows of the last run.
  if (runs('revocation') && !runs('scale')) {
    const revocation = await bounded('revocation', LIMIT.revocation, () => runRevocationBench({ runs: PLAN.revocationRuns, log }), errors)
    if (revocation) d.scale = { rows: d.scale?.rows ?? [], revocation }
    save(d, t0)
  }
  if (runs('transport')) {
    d.transport = await bounded('transport', LIMIT.transport, () => runTransportBench({ log }), errors)
    save(d, t0)
  }
  if (runs('scale100k')) {
    d.scale100k = await bounded('scale100k', LIMIT.scale100k, () => runScale100kBench({ devices: PLAN.bigDevices, registerBoundS: PLAN.bigRegisterS, loadDurationS: PLAN.bigLoadS, log }), errors)
    save(d, t0)
  }
  if (runs('coldstart')) {
    // BENCH_COLD_CLIENTS=N measures at a smaller size (reported as such; the targets apply at 100,000).
    const clients = Number(process.env.BENCH_COLD_CLIENTS ?? PLAN.coldClients)
    d.coldStart = await bounded('coldstart', LIMIT.coldstart, () => runColdStartBench({ clients, timeoutS: 300, log }), errors)
    save(d, t0)
  }
  save(d, t0)
  const h = headline(d)
  log(`\nwritten: bench/results.md, bench/results.json, bench/plots/*.svg in ${d.durationS} s`)
  log(JSON.stringify(h, null, 1))
  if (Object.keys(errors).length) log(`failed parts: ${Object.keys(errors).join(', ')}`)
}

await main()
// Devices, views and sockets that a failed part left behind must not keep the process alive.
process.exit(0)
