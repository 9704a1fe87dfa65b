/**
 * The server side of bench/transport.ts, in its own process (as libcoap's server is): our CoAP
 * endpoint over UDP and over DTLS. Reports its ports, then answers memory probes over IPC.
 */
import { silentLogger } from '../src/logger.js'
import { createCoapEndpoint } from '../src/transport/coap/index.js'
import { createDtlsTransport } from '../src/transport/dtls/index.js'
import { createUdpTransport } from '../src/transport/udp.js'

const key = new TextEncoder().encode(process.env.BENCH_PSK ?? 'Bench-PSK-012345')
// Same size as libcoap's index page, so both servers move the same bytes.
const PAYLOAD = 'x'.repeat(Number(process.env.BENCH_PAYLOAD ?? 136))
const logger = silentLogger()

const udp = createCoapEndpoint({ transport: createUdpTransport({ logger }), logger })
const dtlsTransport = createDtlsTransport({ logger, pskLookup: async () => key, maxSessions: 100_000, maxHandshakes: 10_000 })
const dtls = createCoapEndpoint({ transport: dtlsTransport, logger })
for (const ep of [udp, dtls]) ep.onRequest(() => ({ code: '2.05', contentFormat: 0, payload: PAYLOAD }))
const udpAddress = await udp.start()
const dtlsAddress = await dtls.start()

process.on('message', async (m: { type: string }) => {
  if (m.type === 'mem') {
    for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.()
    await new Promise((r) => setTimeout(r, 50))
    const mem = process.memoryUsage()
    process.send!({ type: 'mem', heapUsed: mem.heapUsed, rss: mem.rss, external: mem.external, arrayBuffers: mem.arrayBuffers, sessions: dtlsTransport.stats().sessions })
  } else if (m.type === 'stop') {
    await Promise.allSettled([udp.stop(), dtls.stop()])
    process.exit(0)
  }
})
process.send!({ type: 'ready', udpPort: udpAddress.port, dtlsPort: dtlsAddress.port })
