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

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const DURATION_MS = quick ? 1000 : 2000
// The machine is shared: measures alternate between the two servers, round after round, and the
// median of the rounds is reported, so a burst of foreign load hits both sides alike.
const ROUNDS = quick ? 1 : 5
const INFLIGHT = 16
const IDLE_SESSIONS = quick ? 100 : 500
const HANDSHAKE_CONCURRENCY = 4
const IDENTITY = 'bench'
const KEY = 'Bench-PSK-012345'
const logger = silentLogger()

type Server = { name: 'lwchain' | 'libcoap'; udp: PeerAddress; dtls: PeerAddress; memory(): Promise<{ rss: number; heapUsed?: number }>; stop(): Promise<void> }

/** Our server in a child process. */
async function startOurs(): Promise<Server> {
  const child = fork(join(here, 'transport-server.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, BENCH_PSK: KEY },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = await nextMessage<{ udpPort: number; dtlsPort: number }>(child, 'ready')
  return {
    name: 'lwchain',
    udp: { address: '127.0.0.1', port: ready.udpPort },
    dtls: { address: '127.0.0.1', port: ready.dtlsPort },
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

/** GET / round trips per second, INFLIGHT requests pipelined, through one client endpoint. */
async function roundTrips(transport: DatagramTransport, server: PeerAddress): Promise<number> {
  const client: CoapEndpoint = createCoapEndpoint({ transport, logger })
  await client.start()
  try {
    await client.request(server, { method: 'GET' }) // warm-up (and the handshake over DTLS)
    let done = 0
    let failed = 0
    const deadline = Date.now() + DURATION_MS
    const started = Date.now()
    const worker = async () => {
      while (Date.now() < deadline) {
        try {
          await client.request(server, { method: 'GET' })
          done++
        } catch {
          failed++
        }
      }
    }
    await Promise.all(Array.from({ length: INFLIGHT }, worker))
    if (failed) console.error(`  (${failed} requests failed)`)
    return done / ((Date.now() - started) / 1000)
  } finally {
    await client.stop()
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

/** Full PSK handshakes per second (cookie exchange included), HANDSHAKE_CONCURRENCY at a time. */
async function handshakes(server: PeerAddress): Promise<number> {
  let done = 0
  const deadline = Date.now() + DURATION_MS
  const started = Date.now()
  let failed = 0
  const worker = async () => {
    while (Date.now() < deadline) {
      try {
        const s = await connect(server)
        done++
        await closeSocket(s)
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: HANDSHAKE_CONCURRENCY }, worker))
  if (failed) console.error(`  (${failed} handshakes failed)`)
  return done / ((Date.now() - started) / 1000)
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

type Measure = 'udpRoundTripsPerSec' | 'dtlsRoundTripsPerSec' | 'handshakesPerSec'
const MEASURES: Measure[] = ['udpRoundTripsPerSec', 'dtlsRoundTripsPerSec', 'handshakesPerSec']

function runMeasure(server: Server, m: Measure): Promise<number> {
  if (m === 'udpRoundTripsPerSec') return roundTrips(createUdpTransport({ logger }), server.udp)
  if (m === 'dtlsRoundTripsPerSec') {
    return roundTrips(
      createDtlsClientTransport({ peer: server.dtls, identity: IDENTITY, key: new TextEncoder().encode(KEY), ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] }),
      server.dtls,
    )
  }
  return handshakes(server.dtls)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main() {
  const servers = [await startOurs(), await startLibcoap()].filter((x): x is Server => x !== undefined)
  const samples: Record<string, Record<Measure, number[]>> = {}
  for (const srv of servers) samples[srv.name] = { udpRoundTripsPerSec: [], dtlsRoundTripsPerSec: [], handshakesPerSec: [] }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      console.error(`round ${round + 1}/${ROUNDS}`)
      for (const m of MEASURES) {
        const order = round % 2 ? [...servers].reverse() : servers
        for (const srv of order) samples[srv.name][m].push(await runMeasure(srv, m))
      }
    }
  } finally {
    await Promise.allSettled(servers.map((srv) => srv.stop()))
  }
  const summary = (name: string) =>
    samples[name] && {
      udpRoundTripsPerSec: median(samples[name].udpRoundTripsPerSec),
      dtlsRoundTripsPerSec: median(samples[name].dtlsRoundTripsPerSec),
      handshakesPerSec: median(samples[name].handshakesPerSec),
      samples: samples[name],
    }
  const oursResult = summary('lwchain')!
  const libResult = summary('libcoap')
  const oursMem = await memoryPerSession(startOurs)
  const libMem = await memoryPerSession(startLibcoap)
  const ratio = (a: number, b?: number) => (b ? a / b : undefined)
  const result = {
    date: new Date().toISOString(),
    quick,
    node: process.version,
    loadAverage: loadavg(),
    setup: { durationMs: DURATION_MS, rounds: ROUNDS, inflight: INFLIGHT, idleSessions: IDLE_SESSIONS, handshakeConcurrency: HANDSHAKE_CONCURRENCY, cipher: 'TLS_PSK_WITH_AES_128_CCM_8', client: 'lwchain CoAP endpoint over UDP / over our DTLS client (src/transport/dtls/client.ts); the same DTLS client for handshakes' },
    lwchain: { ...oursResult, bytesPerIdleSessionRss: oursMem?.rss, bytesPerIdleSessionHeap: oursMem?.heap },
    libcoap: libResult && { ...libResult, bytesPerIdleSessionRss: libMem?.rss },
    ratio: libResult && {
      udpRoundTrips: ratio(oursResult.udpRoundTripsPerSec, libResult.udpRoundTripsPerSec),
      dtlsRoundTrips: ratio(oursResult.dtlsRoundTripsPerSec, libResult.dtlsRoundTripsPerSec),
      handshakes: ratio(oursResult.handshakesPerSec, libResult.handshakesPerSec),
    },
  }
  mkdirSync(join(here, 'out'), { recursive: true })
  writeFileSync(join(here, 'out', 'transport.json'), JSON.stringify(result, null, 2))
  const f = (n?: number, d = 0) => (n === undefined ? 'n/a' : n.toFixed(d))
  const rows = [
    ['CoAP GET round trips/s, UDP', f(oursResult.udpRoundTripsPerSec), f(libResult?.udpRoundTripsPerSec), f(result.ratio?.udpRoundTrips, 2)],
    ['CoAP GET round trips/s, DTLS', f(oursResult.dtlsRoundTripsPerSec), f(libResult?.dtlsRoundTripsPerSec), f(result.ratio?.dtlsRoundTrips, 2)],
    ['Full PSK handshakes/s', f(oursResult.handshakesPerSec, 1), f(libResult?.handshakesPerSec, 1), f(result.ratio?.handshakes, 2)],
    ['Server RSS per idle DTLS session (bytes)', f(oursMem?.rss), f(libMem?.rss), ''],
    ['Server heap per idle DTLS session (bytes)', f(oursMem?.heap), 'n/a', ''],
  ]
  const table = [
    '| measure | lwchain | libcoap coap-server-openssl | ours / libcoap |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `${quick ? 'Quick run; ' : ''}median of ${ROUNDS} alternating round(s) of ${DURATION_MS} ms per measure, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${INFLIGHT} requests in flight, ${HANDSHAKE_CONCURRENCY} concurrent handshakes, ${IDLE_SESSIONS} idle sessions, ${result.setup.cipher}; both servers in their own process, same client.`,
  ].join('\n')
  writeFileSync(join(here, 'out', 'transport.md'), `${table}\n`)
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

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
