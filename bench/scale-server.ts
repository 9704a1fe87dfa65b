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

export type ScaleMessage = { type: 'mem' } | { type: 'stop' }
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
  const transport = createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0, dtls })
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
    } else {
      await daemon.stop()
      process.send?.({ stopped: true })
      process.exit(0)
    }
  })
  process.send?.({ port: address.port })
}

if (process.argv[2] !== undefined && /scale-server\.[tj]s$/.test(process.argv[1] ?? '')) await main()
