// Child process of bench/scale100k.ts: a slice of light LwM2M devices (our DTLS client + CoAP
// endpoint, one socket each, bound to one loopback address), which register, answer reads of
// /3/0/0, and send Updates when told. Lighter than src/simulator's device, so one process carries
// ~12,500 of them.
import { silentLogger } from '../src/logger.js'
import { createCoapEndpoint, type CoapEndpoint } from '../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../src/transport/dtls/client.js'
import { scaleKey } from './scale-server.js'

type Msg =
  | { type: 'register'; from: number; to: number; localAddress: string; port: number; concurrency: number; deadlineMs: number }
  | { type: 'updates'; fractionPerSec: number; durationMs: number }
  | { type: 'stop' }

const logger = silentLogger()
const devices: { ep: CoapEndpoint; location: readonly string[] }[] = []
let server = { address: '127.0.0.1', port: 0 }

async function registerOne(i: number, localAddress: string): Promise<void> {
  const transport = createDtlsClientTransport({ peer: server, identity: `scale-${i}`, key: scaleKey(i), localAddress, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'], timeoutMs: 30_000 })
  const ep = createCoapEndpoint({ transport, logger, ackTimeoutMs: 4000 })
  ep.onRequest((req) => (req.method === 'GET' ? { code: '2.05', contentFormat: 0, payload: 'lwchain' } : { code: '4.05' }))
  try {
    await ep.start()
    const res = await ep.request(server, {
      method: 'POST',
      path: ['rd'],
      query: [`ep=scale-${i}`, 'lt=86400', 'lwm2m=1.1', 'b=U'],
      contentFormat: 40,
      payload: '</1/0>,</3/0>',
    })
    if (res.code !== '2.01') throw new Error(`registration answered ${res.code}`)
    devices.push({ ep, location: res.locationPath })
  } catch (err) {
    await ep.stop().catch(() => undefined)
    throw err
  }
}

process.on('disconnect', () => process.exit(0))
process.on('message', async (m: Msg) => {
  if (m.type === 'register') {
    server = { address: '127.0.0.1', port: m.port }
    let next = m.from
    let failed = 0
    const t0 = performance.now()
    const deadline = Date.now() + m.deadlineMs
    const worker = async () => {
      while (next < m.to && Date.now() < deadline) {
        const i = next++
        await registerOne(i, m.localAddress).catch(() => failed++)
        if ((devices.length + failed) % 1000 === 0) process.send!({ type: 'progress', registered: devices.length, failed })
      }
    }
    await Promise.all(Array.from({ length: m.concurrency }, worker))
    process.send!({ type: 'registered', registered: devices.length, failed, ms: performance.now() - t0 })
  } else if (m.type === 'updates') {
    // Each second, fractionPerSec of the devices (spread over the second) send an Update.
    const perSec = Math.max(1, Math.round(devices.length * m.fractionPerSec))
    const latencies: number[] = []
    let failed = 0
    const t0 = Date.now()
    const pending: Promise<void>[] = []
    for (let k = 0; Date.now() - t0 < m.durationMs; k++) {
      const slot = t0 + (k * 1000) / perSec
      const wait = slot - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const d = devices[Math.floor(Math.random() * devices.length)]
      const t = performance.now()
      pending.push(
        d.ep.request(server, { method: 'POST', path: d.location }).then(
          (res) => {
            if (res.code === '2.04') latencies.push(performance.now() - t)
            else failed++
          },
          () => void failed++,
        ),
      )
    }
    await Promise.all(pending)
    process.send!({ type: 'updated', latencies, failed })
  } else {
    process.exit(0)
  }
})
process.send!({ type: 'ready' })
