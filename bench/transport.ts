/**
 * Transport benchmark (not a test): CoAP round trips/s over UDP and DTLS, full DTLS-PSK handshakes/s,
 * memory per idle DTLS session; libcoap's coap-server-openssl measured in the same run with the
 * same client and reported as a ratio. Loopback only, bounded, stops itself.
 *
 *   npx tsx bench/transport.ts [--quick]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { silentLogger } from '../src/logger.js'
import { createCoapEndpoint, type CoapEndpoint } from '../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../src/transport/dtls/client.js'
import { createUdpTransport } from '../src/transport/udp.js'
import type { DatagramTransport, PeerAddress } from '../src/transport/types.js'
import { processCpuUs } from './lib/proc-cpu.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const DURATION_MS = quick ? 1000 : 2000
// The machine is shared: measures alternate between the two servers, round after round, and the
// median of the rounds is reported, so a burst of foreign load hits both sides alike.
const ROUNDS = quick ? 1 : 3
const INFLIGHT = 16
const IDLE_SESSIONS = quick ? 100 : 500
const HANDSHAKE_CONCURRENCY = Number(process.env.BENCH_HANDSHAKE_CONCURRENCY ?? 8)
const IDENTITY = 'bench'
const KEY = 'Bench-PSK-012345'
const logger = silentLogger()

type Server = { name: 'lwchain' | 'libcoap' | 'node-floor'; measures?: readonly Measure[]; udp: PeerAddress; dtls: PeerAddress; cpuUs(): number; memory(): Promise<{ rss: number; heapUsed?: number }>; stop(): Promise<void> }

/** Our server in a child process. */
async function startOurs(): Promise<Server> {
  const child = fork(join(here, 'transport-server.ts'), [], {
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of our server (for finding the hot path).
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
    env: { ...process.env, BENCH_PSK: KEY },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = await nextMessage<{ udpPort: number; dtlsPort: number }>(child, 'ready')
  return {
    name: 'lwchain',
    udp: { address: '127.0.0.1', port: ready.udpPort },
    dtls: { address: '127.0.0.1', port: ready.dtlsPort },
    cpuUs: () => processCpuUs(child.pid!),
    async memory() {
      child.send({ type: 'mem' })
      return nextMessage<{ rss: number; heapUsed: number }>(child, 'mem')
    },
    async stop() {
      child.send({ type: 'stop' })
      await new Promise((r) => child.once('exit', r))
    },
  }
}

/** bench/transport-floor.ts: the least a Node.js process can do to answer a CoAP GET over UDP. */
async function startFloor(): Promise<Server> {
  const child = fork(join(here, 'transport-floor.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await nextMessage<{ udpPort: number }>(child, 'ready')
  const udp = { address: '127.0.0.1', port: ready.udpPort }
  return {
    name: 'node-floor',
    measures: ['udp'],
    udp,
    dtls: udp,
    cpuUs: () => processCpuUs(child.pid!),
    memory: async () => ({ rss: 0 }),
    async stop() {
      child.send({ type: 'stop' })
      await new Promise((r) => child.once('exit', r))
    },
  }
}

/** libcoap's reference server: UDP on P, DTLS on P+1, no identity hint. */
async function startLibcoap(): Promise<Server | undefined> {
  if (!existsSync('/usr/bin/coap-server-openssl')) return undefined
  const port = await freeUdpPair()
  const child = spawn('coap-server-openssl', ['-A', '127.0.0.1', '-p', String(port), '-k', KEY, '-h', '', '-v', '0'], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 500))
  return {
    name: 'libcoap',
    udp: { address: '127.0.0.1', port },
    dtls: { address: '127.0.0.1', port: port + 1 },
    cpuUs: () => processCpuUs(child.pid!),
    async memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024 }
    },
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    },
  }
}

/** Opens one session with our DTLS client; resolves with the transport once connected. */
async function connect(server: PeerAddress): Promise<DatagramTransport> {
  const t = createDtlsClientTransport({ peer: server, identity: IDENTITY, key: new TextEncoder().encode(KEY), timeoutMs: 10_000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] })
  await t.listen()
  return t
}

function closeSocket(t: DatagramTransport): Promise<void> {
  return t.close().catch(() => undefined)
}

/** Opens n sessions, ten at a time. */
async function openSessions(server: PeerAddress, n: number): Promise<DatagramTransport[]> {
  const sockets: DatagramTransport[] = []
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(10, n - i) }, () => connect(server)))
    for (const r of batch) if (r.status === 'fulfilled') sockets.push(r.value)
  }
  return sockets
}

/**
 * Server memory growth per idle DTLS session over IDLE_SESSIONS sessions, on a fresh server (so
 * earlier load's garbage does not blur it), after a warm-up of 20 sessions.
 */
async function memoryPerSession(start: () => Promise<Server | undefined>): Promise<{ rss: number; heap?: number } | undefined> {
  const server = await start()
  if (!server) return undefined
  try {
    const warm = await openSessions(server.dtls, 20)
    await new Promise((r) => setTimeout(r, 200))
    const before = await server.memory()
    const sockets = await openSessions(server.dtls, IDLE_SESSIONS)
    await new Promise((r) => setTimeout(r, 200))
    const after = await server.memory()
    await Promise.all([...warm, ...sockets].map(closeSocket))
    const n = sockets.length
    if (n < IDLE_SESSIONS) console.error(`  (${IDLE_SESSIONS - n} sessions failed to open)`)
    return {
      rss: (after.rss - before.rss) / n,
      heap: before.heapUsed !== undefined && after.heapUsed !== undefined ? (after.heapUsed - before.heapUsed) / n : undefined,
    }
  } finally {
    await server.stop()
  }
}

type Measure = 'udp' | 'dtls' | 'handshake'
/** BENCH_MEASURES=dtls,handshake runs only those (profiling). */
const MEASURES: Measure[] = process.env.BENCH_MEASURES ? (process.env.BENCH_MEASURES.split(',') as Measure[]) : ['udp', 'dtls', 'handshake']
/**
 * Offered load per measure (operations started per second, at most INFLIGHT / HANDSHAKE_CONCURRENCY
 * outstanding): the same for both servers, and below what our one Node client can generate on a
 * loaded 2-core machine, so that both servers see the same arrival rate and CPU per operation is
 * not skewed by one server batching more work per wake-up than the other.
 */
const OFFERED_PER_S: Record<Measure, number> = { udp: Number(process.env.BENCH_RATE_UDP ?? 3000), dtls: Number(process.env.BENCH_RATE_DTLS ?? 2000), handshake: Number(process.env.BENCH_RATE_HANDSHAKE ?? 200) }

/** One sample: completed operations per second and the server's CPU per completed operation. */
interface Sample {
  perSec: number
  cpuUsPerOp: number
  ops: number
}

/** Runs `op` at `rate` per second (at most `inflight` outstanding) for DURATION_MS; counts completions. */
async function paced(op: () => Promise<void>, rate: number, inflight: number): Promise<{ done: number; seconds: number }> {
  let done = 0
  let failed = 0
  let next = 0
  const started = performance.now()
  const deadline = started + DURATION_MS
  const worker = async () => {
    for (;;) {
      const slot = started + (next++ * 1000) / rate
      if (slot >= deadline) return
      const wait = slot - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      try {
        await op()
        done++
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  if (failed) console.error(`  (${failed} operations failed)`)
  return { done, seconds: (performance.now() - started) / 1000 }
}

async function runMeasure(server: Server, m: Measure): Promise<Sample> {
  let client: CoapEndpoint | undefined
  let op: () => Promise<void>
  if (m === 'handshake') {
    op = async () => closeSocket(await connect(server.dtls))
  } else {
    const transport =
      m === 'udp'
        ? createUdpTransport({ logger })
        : createDtlsClientTransport({ peer: server.dtls, identity: IDENTITY, key: new TextEncoder().encode(KEY), ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] })
    const c = (client = createCoapEndpoint({ transport, logger }))
    const target = m === 'udp' ? server.udp : server.dtls
    await c.start()
    await c.request(target, { method: 'GET' }) // warm-up (and the handshake over DTLS)
    op = async () => {
      await c.request(target, { method: 'GET' })
    }
  }
  try {
    const cpu0 = server.cpuUs()
    const { done, seconds } = await paced(op, OFFERED_PER_S[m], m === 'handshake' ? HANDSHAKE_CONCURRENCY : INFLIGHT)
    const cpu1 = server.cpuUs()
    return { perSec: done / seconds, cpuUsPerOp: done ? (cpu1 - cpu0) / done : NaN, ops: done }
  } finally {
    await client?.stop()
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Per server and measure: medians and the samples of the rounds. */
export interface TransportServerResult {
  udpRoundTripsPerSec: number
  dtlsRoundTripsPerSec: number
  handshakesPerSec: number
  /** Server process CPU time (all threads, /proc schedstat) per completed operation, µs. */
  cpuUsPerUdpRequest: number
  cpuUsPerDtlsRequest: number
  cpuUsPerHandshake: number
  samples: Record<Measure, Sample[]>
  bytesPerIdleSessionRss?: number
  bytesPerIdleSessionHeap?: number
}

export interface TransportResult {
  date: string
  quick: boolean
  node: string
  loadAverage: number[]
  setup: Record<string, unknown>
  lwchain: TransportServerResult
  libcoap?: TransportServerResult
  /** bench/transport-floor.ts (UDP only): what the runtime itself costs per CoAP GET. */
  nodeFloor?: { cpuUsPerUdpRequest: number; udpRoundTripsPerSec: number; samples: Sample[] }
  /** ours / libcoap. Rates: higher is better; CPU: lower is better. */
  ratio?: { udpRoundTrips: number; dtlsRoundTrips: number; handshakes: number; cpuUdpRequest: number; cpuDtlsRequest: number; cpuHandshake: number }
}

/** The whole transport comparison; also writes bench/out/transport.{json,md}. */
export async function runTransportBench(o: { log?: (m: string) => void } = {}): Promise<TransportResult> {
  const log = o.log ?? ((m: string) => console.error(m))
  const servers = [await startOurs(), await startLibcoap(), await startFloor()].filter((x): x is Server => x !== undefined)
  const serves = (srv: Server, m: Measure) => srv.measures?.includes(m) ?? true
  const samples: Record<string, Record<Measure, Sample[]>> = {}
  for (const srv of servers) samples[srv.name] = { udp: [], dtls: [], handshake: [] }
  try {
    // One round first that is not counted: our server's JIT compiles its hot path then (V8's
    // compiler threads are part of the process's CPU); libcoap, compiled ahead of time, has no such phase.
    for (const m of MEASURES) for (const srv of servers) if (serves(srv, m)) await runMeasure(srv, m)
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of MEASURES) {
        const order = round % 2 ? [...servers].reverse() : servers
        for (const srv of order) if (serves(srv, m)) samples[srv.name][m].push(await runMeasure(srv, m))
      }
      const s = (n: string, m: Measure) => samples[n]?.[m].at(-1)
      log(`  transport round ${round + 1}/${ROUNDS}: ` + MEASURES.map((m) => `${m} ${servers.filter((srv) => serves(srv, m)).map((srv) => `${srv.name} ${s(srv.name, m)!.perSec.toFixed(0)}/s ${s(srv.name, m)!.cpuUsPerOp.toFixed(0)} us`).join(', ')}`).join('; '))
    }
  } finally {
    await Promise.allSettled(servers.map((srv) => srv.stop()))
  }
  const summary = (name: string): TransportServerResult | undefined => {
    const x = samples[name]
    if (!x) return undefined
    const med = (m: Measure, f: (s: Sample) => number) => median(x[m].map(f))
    return {
      udpRoundTripsPerSec: med('udp', (s) => s.perSec),
      dtlsRoundTripsPerSec: med('dtls', (s) => s.perSec),
      handshakesPerSec: med('handshake', (s) => s.perSec),
      cpuUsPerUdpRequest: med('udp', (s) => s.cpuUsPerOp),
      cpuUsPerDtlsRequest: med('dtls', (s) => s.cpuUsPerOp),
      cpuUsPerHandshake: med('handshake', (s) => s.cpuUsPerOp),
      samples: x,
    }
  }
  const oursResult = summary('lwchain')!
  const libResult = summary('libcoap')
  const floorResult = summary('node-floor')
  const oursMem = await memoryPerSession(startOurs)
  const libMem = await memoryPerSession(startLibcoap)
  oursResult.bytesPerIdleSessionRss = oursMem?.rss
  oursResult.bytesPerIdleSessionHeap = oursMem?.heap
  if (libResult) libResult.bytesPerIdleSessionRss = libMem?.rss
  const r2 = (x: number) => Math.round(x * 1000) / 1000
  const result: TransportResult = {
    date: new Date().toISOString(),
    quick,
    node: process.version,
    loadAverage: loadavg(),
    setup: {
      durationMs: DURATION_MS,
      rounds: ROUNDS,
      inflight: INFLIGHT,
      offeredPerSec: OFFERED_PER_S,
      idleSessions: IDLE_SESSIONS,
      handshakeConcurrency: HANDSHAKE_CONCURRENCY,
      cipher: 'TLS_PSK_WITH_AES_128_CCM_8',
      client: 'lwchain CoAP endpoint over UDP / over our DTLS client (src/transport/dtls/client.ts); the same DTLS client for handshakes',
      cpu: 'server process CPU (user + system, every thread) from /proc/PID/task/*/schedstat, delta over each window / operations completed in it',
    },
    lwchain: oursResult,
    libcoap: libResult,
    nodeFloor: floorResult && { cpuUsPerUdpRequest: floorResult.cpuUsPerUdpRequest, udpRoundTripsPerSec: floorResult.udpRoundTripsPerSec, samples: floorResult.samples.udp },
    ratio: libResult && {
      udpRoundTrips: r2(oursResult.udpRoundTripsPerSec / libResult.udpRoundTripsPerSec),
      dtlsRoundTrips: r2(oursResult.dtlsRoundTripsPerSec / libResult.dtlsRoundTripsPerSec),
      handshakes: r2(oursResult.handshakesPerSec / libResult.handshakesPerSec),
      cpuUdpRequest: r2(oursResult.cpuUsPerUdpRequest / libResult.cpuUsPerUdpRequest),
      cpuDtlsRequest: r2(oursResult.cpuUsPerDtlsRequest / libResult.cpuUsPerDtlsRequest),
      cpuHandshake: r2(oursResult.cpuUsPerHandshake / libResult.cpuUsPerHandshake),
    },
  }
  mkdirSync(join(here, 'out'), { recursive: true })
  writeFileSync(join(here, 'out', 'transport.json'), JSON.stringify(result, null, 2))
  writeFileSync(join(here, 'out', 'transport.md'), `${transportTable(result)}\n`)
  return result
}

/** The comparison table (bench/out/transport.md, and the transport section of results.md). */
export function transportTable(result: TransportResult): string {
  const ours = result.lwchain
  const lib = result.libcoap
  const f = (n?: number, d = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d))
  const rows = [
    ['Server CPU per CoAP GET, UDP (µs)', f(ours.cpuUsPerUdpRequest, 1), f(lib?.cpuUsPerUdpRequest, 1), f(result.ratio?.cpuUdpRequest, 2)],
    ['Server CPU per CoAP GET, UDP, bare node:dgram responder (µs): the runtime\'s floor', f(result.nodeFloor?.cpuUsPerUdpRequest, 1), f(lib?.cpuUsPerUdpRequest, 1), f(result.nodeFloor && lib ? result.nodeFloor.cpuUsPerUdpRequest / lib.cpuUsPerUdpRequest : undefined, 2)],
    ['Server CPU per CoAP GET, DTLS (µs)', f(ours.cpuUsPerDtlsRequest, 1), f(lib?.cpuUsPerDtlsRequest, 1), f(result.ratio?.cpuDtlsRequest, 2)],
    ['Server CPU per full PSK handshake (µs)', f(ours.cpuUsPerHandshake, 1), f(lib?.cpuUsPerHandshake, 1), f(result.ratio?.cpuHandshake, 2)],
    ['CoAP GET round trips/s, UDP', f(ours.udpRoundTripsPerSec), f(lib?.udpRoundTripsPerSec), f(result.ratio?.udpRoundTrips, 2)],
    ['CoAP GET round trips/s, DTLS', f(ours.dtlsRoundTripsPerSec), f(lib?.dtlsRoundTripsPerSec), f(result.ratio?.dtlsRoundTrips, 2)],
    ['Full PSK handshakes/s', f(ours.handshakesPerSec, 1), f(lib?.handshakesPerSec, 1), f(result.ratio?.handshakes, 2)],
    ['Server RSS per idle DTLS session (bytes)', f(ours.bytesPerIdleSessionRss), f(lib?.bytesPerIdleSessionRss), ''],
    ['Server heap per idle DTLS session (bytes)', f(ours.bytesPerIdleSessionHeap), 'n/a', ''],
  ]
  const spread = (m: Measure, x?: TransportServerResult) => (x ? `${Math.min(...x.samples[m].map((s) => s.cpuUsPerOp)).toFixed(0)}–${Math.max(...x.samples[m].map((s) => s.cpuUsPerOp)).toFixed(0)}` : 'n/a')
  const s = result.setup as { rounds: number; durationMs: number; offeredPerSec: Record<Measure, number> }
  return [
    '| measure | lwchain | libcoap coap-server-openssl | ours / libcoap |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `${result.quick ? 'Quick run; ' : ''}median of ${s.rounds} alternating round(s) of ${s.durationMs} ms per measure and server; offered load ${s.offeredPerSec.udp} GET/s over UDP, ${s.offeredPerSec.dtls} GET/s over DTLS, ${s.offeredPerSec.handshake} handshakes/s (at most ${INFLIGHT} requests, ${HANDSHAKE_CONCURRENCY} handshakes outstanding), from the same client for both servers; load average ${result.loadAverage.map((l) => l.toFixed(1)).join(' ')}; ${IDLE_SESSIONS} idle sessions for memory; TLS_PSK_WITH_AES_128_CCM_8. CPU spread (min–max µs over rounds), ours / libcoap: UDP ${spread('udp', ours)} / ${spread('udp', lib)}, DTLS ${spread('dtls', ours)} / ${spread('dtls', lib)}, handshake ${spread('handshake', ours)} / ${spread('handshake', lib)}.`,
  ].join('\n')
}

async function main() {
  const result = await runTransportBench()
  const table = transportTable(result)
  console.log(table)
  console.log('written to bench/out/transport.json and bench/out/transport.md')
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string } & T) => {
      if (m.type !== type) return
      child.off('message', onMessage)
      resolve(m)
    }
    child.on('message', onMessage)
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
  })
}

/** A port P such that P and P+1 are free (libcoap takes both). */
async function freeUdpPair(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port
        s.close(() => resolve(port))
      })
    })
    if (p < 65000) return p
  }
}

if (/transport\.[tj]s$/.test(process.argv[1] ?? '')) main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
