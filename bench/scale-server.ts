// Child process of bench/scale.ts: one LwM2M server daemon (DTLS-PSK or plain UDP) with an in-memory
// store of N device accounts, so its memory can be measured apart from the simulated devices.
//   tsx --expose-gc bench/scale-server.ts <N> <dtls|udp>
import { createHash } from 'node:crypto'
import { createServerDaemon } from '../src/daemons/server.js'
import { createDaemonTransport } from '../src/daemons/transport.js'
import { silentLogger } from '../src/logger.js'
import { createInMemorySecurityStore, type ClientSecurity } from '../src/lwm2m/security-store.js'

/** The deterministic PSK of scale device `i` (the parent derives the same). */
export const scaleKey = (i: number | string): Uint8Array => createHash('sha256').update(`scale-${i}`).digest().subarray(0, 16)

export type ScaleMessage = { type: 'mem' } | { type: 'stop' } | { type: 'reads'; ratePerSec: number; durationMs: number; concurrency: number }

/** What a 'reads' round answers: latency of each read that succeeded (ms), and the failures. */
export interface ReadsReport {
  latencies: number[]
  failed: number
  cpuUs: number
}
export interface MemReport {
  heapUsed: number
  rss: number
  external: number
  arrayBuffers: number
  registrations: number
  sessions?: number
}

async function main(): Promise<void> {
  const n = Number(process.argv[2])
  const dtls = process.argv[3] !== 'udp'
  const ids = ['warm', ...Array.from({ length: n }, (_, i) => i)]
  const clients: ClientSecurity[] = ids.map((i) => ({
    endpoint: `scale-${i}`,
    version: 1,
    bootstrap: { uri: 'coaps://127.0.0.1:1', identity: `bs-scale-${i}`, key: scaleKey(`bs-${i}`) },
    server: { uri: 'coaps://127.0.0.1:2', identity: `scale-${i}`, key: scaleKey(i) },
  }))
  const security = createInMemorySecurityStore(clients)
  const maxSessions = process.argv[4] ? Number(process.argv[4]) : undefined
  const transport = createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0, dtls, ...(maxSessions !== undefined && { limits: { maxSessions } }) })
  const daemon = createServerDaemon({ security, transport, logger: silentLogger(), config: {} })
  const { address } = await daemon.start()
  const gc = (globalThis as { gc?: () => void }).gc
  process.on('disconnect', () => process.exit(0)) // the parent died: do not linger
  process.on('message', async (m: ScaleMessage) => {
    if (m.type === 'mem') {
      for (let i = 0; i < 3; i++) {
        gc?.()
        await new Promise((r) => setTimeout(r, 50))
      }
      const u = process.memoryUsage()
      const s = daemon.stats()
      const report: MemReport = { heapUsed: u.heapUsed, rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers, registrations: s.registrations, sessions: s.sessions }
      process.send?.(report)
    } else if (m.type === 'reads') {
      // Reads of random registered devices, paced, through daemon.send: the call the REST route
      // GET /api/clients/:endpoint/3/0/0 makes, without the HTTP layer in front of it.
      const endpoints = daemon.registrations.all().map((r) => r.endpoint)
      const latencies: number[] = []
      let failed = 0
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      let k = 0
      const worker = async () => {
        for (;;) {
          const slot = t0 + (k++ * 1000) / m.ratePerSec
          if (slot - t0 >= m.durationMs || endpoints.length === 0) return
          const wait = slot - performance.now()
          if (wait > 1) await new Promise((r) => setTimeout(r, wait))
          const ep = endpoints[Math.floor(Math.random() * endpoints.length)]
          const t = performance.now()
          try {
            const res = await daemon.send(ep, { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 } }, { timeoutMs: 10_000 })
            if (res.success) latencies.push(performance.now() - t)
            else failed++
          } catch {
            failed++
          }
        }
      }
      await Promise.all(Array.from({ length: m.concurrency }, worker))
      const c = process.cpuUsage(c0)
      const report: ReadsReport = { latencies, failed, cpuUs: c.user + c.system }
      process.send?.(report)
    } else {
      await daemon.stop()
      process.send?.({ stopped: true })
      process.exit(0)
    }
  })
  process.send?.({ port: address.port })
}

if (process.argv[2] !== undefined && /scale-server\.[tj]s$/.test(process.argv[1] ?? '')) await main()
