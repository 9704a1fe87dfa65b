// 100,000 registered DTLS devices on one server process: the LwM2M server daemon (in-memory store,
// bench/scale-server.ts) in its own process; light devices (bench/scale100k-load.ts) in several
// load processes, each bound to its own loopback address 127.0.0.x (one address has ~28,000
// ephemeral ports, one process ~20,000 file descriptors). Then, with all registered, 1 % of the
// devices send an Update each second while random devices are read through the server.
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MemReport, ReadsReport } from './scale-server.js'
import { load1, pct, summarize, type Summary } from './lib/stats.js'
import { processCpuUs } from './lib/proc-cpu.js'

const here = dirname(fileURLToPath(import.meta.url))

export interface Scale100kResult {
  target: number
  registered: number
  failed: number
  processes: number
  registerSeconds: number
  registrationsPerSec: number
  /** Server process CPU (all threads) per registration (handshake + register), µs. */
  serverCpuUsPerRegistration: number
  heapBytesPerRegistration: number
  externalBytesPerRegistration: number
  rssBytesPerRegistration: number
  sessions: number
  readLatencyMs: Summary
  readP99Ms: number
  readsFailed: number
  readsPerSec: number
  updateLatencyMs: Summary
  updateP99Ms: number
  updatesFailed: number
  updatesPerSec: number
  loadDurationS: number
  load: number
  /** Set when the target was not reached: what stopped it. */
  limitedBy?: string
}

function once<T>(child: ChildProcess, type: string | ((m: { type?: string }) => boolean), onOther?: (m: { type: string }) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type?: string }) => {
      if (typeof type === 'string' ? m.type === type : type(m)) {
        child.off('message', on)
        child.off('exit', onExit)
        resolve(m as T)
      } else onOther?.(m as { type: string })
    }
    const onExit = (code: number | null) => reject(new Error(`child exited with ${code}`))
    child.on('message', on)
    child.once('exit', onExit)
  })
}

export async function runScale100kBench(o: { devices: number; perProcess?: number; concurrency?: number; registerBoundS: number; loadDurationS: number; log?: (m: string) => void }): Promise<Scale100kResult> {
  const log = o.log ?? (() => undefined)
  const perProcess = o.perProcess ?? 12_500
  const concurrency = o.concurrency ?? 8
  const k = Math.ceil(o.devices / perProcess)
  const server = fork(join(here, 'scale-server.ts'), [String(o.devices), 'dtls', String(o.devices + 1000)], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=8192'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const loads: ChildProcess[] = []
  try {
    const { port } = await once<{ port: number }>(server, (m) => 'port' in m)
    const memRequest = () => {
      server.send({ type: 'mem' })
      return once<MemReport>(server, (m) => 'heapUsed' in m)
    }
    const before = await memRequest()
    for (let i = 0; i < k; i++) {
      loads.push(fork(join(here, 'scale100k-load.ts'), [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    }
    await Promise.all(loads.map((c) => once(c, 'ready')))
    const cpu0 = processCpuUs(server.pid!)
    const t0 = performance.now()
    const progress = new Array<number>(k).fill(0)
    let lastLog = 0
    const done = await Promise.all(
      loads.map((c, i) => {
        c.send({ type: 'register', from: i * perProcess, to: Math.min(o.devices, (i + 1) * perProcess), localAddress: `127.0.0.${11 + i}`, port, concurrency, deadlineMs: o.registerBoundS * 1000 })
        return once<{ registered: number; failed: number; ms: number }>(c, 'registered', (m) => {
          if (m.type !== 'progress') return
          progress[i] = (m as unknown as { registered: number }).registered
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now()
            log(`  scale100k: ${progress.reduce((a, b) => a + b, 0)} / ${o.devices} registered (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load1()})`)
          }
        })
      }),
    )
    const registerSeconds = (performance.now() - t0) / 1000
    const cpu1 = processCpuUs(server.pid!)
    const registered = done.reduce((a, d) => a + d.registered, 0)
    const failed = done.reduce((a, d) => a + d.failed, 0)
    const after = await memRequest()
    const n = Math.max(1, after.registrations - before.registrations)
    log(`  scale100k: ${after.registrations} registered in ${registerSeconds.toFixed(0)} s (${failed} failed); heap ${((after.heapUsed - before.heapUsed) / n).toFixed(0)} B/registration`)

    // Updates from 1 % of the devices per second, reads of random devices meanwhile.
    const durationMs = o.loadDurationS * 1000
    const updates = Promise.all(
      loads.map((c) => {
        c.send({ type: 'updates', fractionPerSec: 0.01, durationMs })
        return once<{ latencies: number[]; failed: number }>(c, 'updated')
      }),
    )
    server.send({ type: 'reads', ratePerSec: 50, durationMs, concurrency: 16 })
    const reads = await once<ReadsReport>(server, (m) => 'latencies' in m)
    const upd = await updates
    const updLat = upd.flatMap((u) => u.latencies)
    const limitedBy =
      after.registrations >= o.devices
        ? undefined
        : registerSeconds >= o.registerBoundS - 1
          ? `the ${o.registerBoundS} s registration bound (CPU: ${((cpu1 - cpu0) / Math.max(1, n)).toFixed(0)} µs of server CPU per registration, plus the devices' own handshakes, on 2 shared cores)`
          : `${failed} registrations failed`
    return {
      target: o.devices,
      registered: after.registrations,
      failed,
      processes: k,
      registerSeconds: Math.round(registerSeconds * 10) / 10,
      registrationsPerSec: Math.round(registered / registerSeconds),
      serverCpuUsPerRegistration: Math.round((cpu1 - cpu0) / n),
      heapBytesPerRegistration: Math.round((after.heapUsed - before.heapUsed) / n),
      externalBytesPerRegistration: Math.round((after.external - before.external) / n),
      rssBytesPerRegistration: Math.round((after.rss - before.rss) / n),
      sessions: after.sessions ?? 0,
      readLatencyMs: summarize(reads.latencies),
      readP99Ms: Math.round(pct(reads.latencies, 99) * 100) / 100,
      readsFailed: reads.failed,
      readsPerSec: Math.round(reads.latencies.length / o.loadDurationS),
      updateLatencyMs: summarize(updLat),
      updateP99Ms: Math.round(pct(updLat, 99) * 100) / 100,
      updatesFailed: upd.reduce((a, u) => a + u.failed, 0),
      updatesPerSec: Math.round(updLat.length / o.loadDurationS),
      loadDurationS: o.loadDurationS,
      load: load1(),
      limitedBy,
    }
  } finally {
    for (const c of loads) c.kill('SIGKILL')
    server.send({ type: 'stop' })
    await Promise.race([new Promise((r) => server.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))])
    server.kill('SIGKILL')
  }
}

if (/scale100k\.[tj]s$/.test(process.argv[1] ?? '')) {
  const devices = Number(process.argv[2] ?? 100_000)
  runScale100kBench({ devices, registerBoundS: Number(process.argv[3] ?? 600), loadDurationS: 20, log: console.log }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 1))
      process.exit(0)
    },
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}
