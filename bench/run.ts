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
import { type AnomaliesOut, type BenchData, headline, writeReport } from './report.js'
import { runRevocationBench, runScaleBench, type ScaleRow } from './scale.js'
import { runUsersBench } from './users.js'
import { machine } from './lib/stats.js'

const quick = process.argv.includes('--quick')
const benchDir = dirname(fileURLToPath(import.meta.url))
const log = (m: string) => console.log(m)

/** Sizes and run counts: the quick run keeps every figure but shrinks them to fit 5 minutes on 2 cores. */
const PLAN = quick
  ? { regSizes: [10, 100, 1000, 10_000], regRuns: 9, provSizes: [1, 100, 1000, 10_000], provRuns: 5, importRuns: 3, userSizes: [1, 10, 25], userRuns: 5, scaleDevices: 1000, scaleConcurrency: 25, revocationRuns: 5 }
  : { regSizes: [10, 100, 1000, 10_000], regRuns: 21, provSizes: [1, 100, 1000, 10_000], provRuns: 10, importRuns: 5, userSizes: [1, 10, 100], userRuns: 10, scaleDevices: 10_000, scaleConcurrency: 50, revocationRuns: 10 }
/** Per-part wall-clock bound, seconds. */
const LIMIT = quick ? { registration: 90, provisioning: 50, import: 140, users: 40, anomalies: 120, scale: 60 } : { registration: 600, provisioning: 400, import: 500, users: 300, anomalies: 900, scale: 1200 }

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

function notes(d: BenchData): Record<string, string> {
  const h = headline(d)
  const out: Record<string, string> = {}
  const pctOver = (x: number, t: number) => `${(((x - t) / t) * 100).toFixed(1)} %`
  if (h.registration.met === false) {
    const worst = d.registration!.reduce((a, b) => (b.ratio > a.ratio ? b : a))
    out.registration = `Target missed at ${worst.provisioned} provisioned: ratio ${worst.ratio} (${pctOver(worst.ratio, 1.05)} over 1.05; ${(worst.chain.median - worst.memory.median).toFixed(1)} ms difference in medians). Both daemons answer the PSK lookup from an in-process map (the ChainView keeps every record unsealed in memory), so the chain-backed path does no RPC per handshake; a difference of a few ms on a ~30 ms operation is within the spread of the two columns on a shared 2-core machine (compare the p25–p75 ranges). What would close it: more runs per size (the full run uses 21) on a quiet machine; if a real gap remains, profile the view's lookup path (pskFor + clientByEndpoint) under the 1 s poll.`
  } else if (h.registration.met) out.registration = 'Met at every size: both stores answer the PSK lookup from memory (the ChainView holds every unsealed record), so registry size does not reach the handshake path.'
  if (h.provisioning.import_met === false) out.provisioning = `The 10,000-device import took ${h.provisioning.import_10k_s} s, ${pctOver(h.provisioning.import_10k_s, 30)} over 30 s. Larger batches (\`--batch-size 100\`) and more transactions in flight would close it.`
  else if (h.provisioning.gas_met === false) out.provisioning = `Gas at 100 is ${h.provisioning.gas_per_add_at_100} vs the target ${Math.round(428_000 / 3)}, or not flat (max/min ${h.provisioning.gas_flat_max_over_min}).`
  else out.provisioning = `Gas is flat (max/min ${h.provisioning.gas_flat_max_over_min}): the ClientStore is a mapping plus an index array (O(1) add and swap-and-pop remove), unlike the paper's contract that loops over all clients. At 100 clients one add costs ${h.provisioning.gas_per_add_at_100} gas, ${((h.provisioning.gas_per_add_at_100 / 428_000) * 100).toFixed(1)} % of the reference (target ≤ 33.3 %): met, with a small margin — most of it is the sealed record (two sealed PSKs, ~350 bytes of storage). Times are anvil automine, not public-network consensus.`
  if (h.users.met === false) out.users = `Login p50 ${h.users.login_p50_ms} ms vs scrypt ${h.users.scrypt_verify_p50_ms} ms: the hash is only ${((h.users.scrypt_verify_p50_ms / h.users.login_p50_ms) * 100).toFixed(0)} % of it. The rest is HTTP + JWT signing + rate limiter + the queue of at most 2 concurrent scrypt checks.`
  else if (h.users.met) out.users = `Login is the scrypt check plus ${h.users.login_minus_scrypt_ms} ms (HTTP, lookup in the view — under a microsecond —, JWT signing): the hash dominates, by design (N=2^15 makes each guess cost the same ~70–80 ms for an attacker). User writes take one scrypt hash plus one transaction.`
  const an = h.anomalies
  const parts: string[] = []
  if (an.accepted_met === false) parts.push(`accepted/s ${an.accepted_per_s} is ${pctOver(5000, an.accepted_per_s)} short of 5,000`)
  if (an.anchored_met === false) parts.push(`anchoring takes ${an.anchored_p50_blocks_steady} blocks at p50 under steady load (target 2)`)
  if (an.list_met === false) parts.push(`the worst 100-row page takes ${an.list_worst_page_p95_ms_at_largest} ms at p95`)
  if (d.anomalies && an.list_largest_size < 100_000) parts.push(`this quick run lists at ${an.list_largest_size.toLocaleString('en-US')}, not 100k (bench/anomalies.ts --quick); the full run measures 100k`)
  if (d.anomalies) out.anomalies = (parts.length ? parts.join('; ') + '. ' : '') + 'Burst anchoring: under the 500-in-flight burst, blocks are counted from the last anchored block seen at accept time and each anchor is one transaction per batch (batches of up to 1,000), so the burst scenario takes more blocks than the steady ones; the target is read on the steady loads.'
  const sc = h.scale
  const sn: string[] = []
  if (sc.memory_met === false)
    sn.push(`Memory per DTLS registration is ${sc.bytes_per_registration} B, ${pctOver(sc.bytes_per_registration, 4096)} over 4 KB (over plain UDP: ${sc.bytes_per_registration_udp} B, ${sc.bytes_per_registration_udp <= 4096 ? 'within' : 'over'} it). The difference is the DTLS session: node-dtls-client's record layer keeps per-connection cipher state and buffers, and our transport keeps a session object with its peer map entry and timers. What would close it: drop the handshake state once a session is established (keep only the keys and sequence numbers), share one decipher/cipher context per suite, and keep the registration's link list as one string rather than parsed objects.`)
  if (sc.revocation_met === false) sn.push(`Revocation max ${sc.revocation_max_ms} ms after the remove was mined, over 1 s: the ChainView polls every 1 s, so the worst case is one poll interval plus the log fetch; a shorter poll or a newHeads subscription closes it.`)
  if (d.scale) sn.push(`Devices are the full simulator (objects /0 /1 /3 /3303, one UDP socket and one DTLS client each), all in one process with the load generator, so on 2 cores the rate is shared between the devices' handshakes and the server's: the server alone would do more.`)
  if (sn.length) out.scale = sn.join(' ')
  return out
}

/** Writes the report with what is measured so far (a later stall still leaves the earlier figures). */
function save(d: BenchData, t0: number): void {
  d.durationS = Math.round((performance.now() - t0) / 1000)
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
  const d: BenchData = { quick, startedAt, durationS: 0, machine: m, errors }
  startWatchdog(quick ? 280 : 2400)
  const regRows: RegistrationRow[] = []
  await bounded('fig9 registration', LIMIT.registration, () => runRegistrationBench({ sizes: PLAN.regSizes, runs: PLAN.regRuns, log, rows: regRows }), errors)
  d.registration = regRows.length ? regRows : undefined
  const provRows: ProvisioningRow[] = []
  await bounded('fig10 add/remove', LIMIT.provisioning, () => runProvisioningBench({ sizes: PLAN.provSizes, runs: PLAN.provRuns, log, rows: provRows }), errors)
  const imports = (await bounded('fig10 import', LIMIT.import, () => runImportThroughput({ clients: 10_000, runs: PLAN.importRuns, timeoutS: quick ? 40 : 90, log }), errors)) ?? []
  if (imports.length < PLAN.importRuns) errors['fig10 import'] ??= `${PLAN.importRuns - imports.length} of ${PLAN.importRuns} import runs failed or stalled (killed)`
  d.provisioning = provRows.length || imports.length ? { rows: provRows, imports } : undefined
  save(d, t0)
  d.users = await bounded('fig11/12 users', LIMIT.users, () => runUsersBench({ sizes: PLAN.userSizes, runs: PLAN.userRuns, log }), errors)
  save(d, t0)
  d.anomalies = await bounded('fig13/14 anomalies', LIMIT.anomalies, () => runAnomalies(LIMIT.anomalies - 5), errors)
  save(d, t0)
  d.scale = await bounded('scale', LIMIT.scale, async () => {
    const rows: ScaleRow[] = []
    for (const transport of ['udp', 'dtls'] as const) rows.push(await runScaleBench({ transport, devices: PLAN.scaleDevices, concurrency: PLAN.scaleConcurrency, log }))
    return { rows, revocation: await runRevocationBench({ runs: PLAN.revocationRuns, log }) }
  }, errors)
  save(d, t0)
  const h = headline(d)
  log(`\nwritten: bench/results.md, bench/results.json, bench/plots/*.svg in ${d.durationS} s`)
  log(JSON.stringify(h, null, 1))
  if (Object.keys(errors).length) log(`failed parts: ${Object.keys(errors).join(', ')}`)
}

await main()
// Devices, views and sockets that a failed part left behind must not keep the process alive.
process.exit(0)
