/**
 * Memory of idle registered devices: N devices (default 100) register with one fake LwM2M server
 * that runs in a child process, so the heap delta is the devices' alone.
 *
 *   npx tsx --expose-gc test/simulator/measure-memory.ts [N]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, givenBootstrapServer, givenServer, models, psk, standardScript } from './fakes.js'

const N = Number(process.argv[2] === 'server' ? process.argv[3] : process.argv[2] ?? 100)
const ids = Array.from({ length: N }, (_, i) => `mem-${i}`)

if (process.argv[2] === 'server') {
  const server = await givenServer(ids.map(psk))
  process.send?.({ uri: server.uri })
  process.on('disconnect', () => process.exit(0)) // the parent died: do not linger
  process.on('message', async () => {
    process.send?.({ registered: server.registrations.size })
    await server.stop()
    process.exit(0)
  })
} else {
  const self = fileURLToPath(import.meta.url)
  // Run as .ts under tsx, or as a bundle (esbuild, no keepNames: closer to a production build).
  const child = fork(self, ['server', String(N)], { execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [] })
  const uri = await new Promise<string>((resolve) => child.once('message', (m: { uri: string }) => resolve(m.uri)))
  const gc = (globalThis as { gc?: () => void }).gc
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.()
      await new Promise((r) => setTimeout(r, 50))
    }
    return process.memoryUsage()
  }
  // Warm up module-level state (models, codecs, one device) so it is not counted per device.
  const warm = createDevice({ endpoint: 'mem-warm', server: { uri, ...psk('mem-0') }, models, timers: FAST })
  void warm
  const before = await settle()
  const devices: Device[] = []
  const t0 = Date.now()
  for (let i = 0; i < N; i += 10) {
    const batch = ids.slice(i, i + 10).map((ep) => createDevice({ endpoint: ep, server: { uri, ...psk(ep) }, models, timers: FAST }))
    devices.push(...batch)
    await Promise.all(batch.map((d) => d.start()))
  }
  const registerMs = Date.now() - t0
  const after = await settle()
  const per = (k: keyof NodeJS.MemoryUsage) => ((after[k] - before[k]) / N / 1024).toFixed(1)
  console.log(JSON.stringify({
    devices: N,
    gc: gc !== undefined,
    registered: devices.filter((d) => d.state === 'registered').length,
    registerAllMs: registerMs,
    perDeviceKiB: { heapUsed: per('heapUsed'), external: per('external'), arrayBuffers: per('arrayBuffers'), rss: per('rss') },
  }))
  await Promise.all(devices.map((d) => d.stop()))
  // Latency of one device's whole bootstrap + register (both DTLS handshakes), sequentially.
  const server = await givenServer([psk('lat-srv')])
  const bs = await givenBootstrapServer([psk('lat-bs')], standardScript({ uri: server.uri, psk: psk('lat-srv') }))
  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const d = createDevice({ endpoint: `lat-${i}`, bootstrap: { uri: bs.uri, ...psk('lat-bs') }, models, timers: FAST })
    const t = performance.now()
    await d.start()
    times.push(performance.now() - t)
    await d.stop()
  }
  times.sort((a, b) => a - b)
  console.log(JSON.stringify({ bootstrapPlusRegisterMs: { median: times[10].toFixed(1), min: times[0].toFixed(1), max: times[19].toFixed(1) } }))
  await bs.stop()
  await server.stop()
  child.send('stop')
  const final = await new Promise<{ registered: number }>((resolve) => child.once('message', resolve))
  console.log(JSON.stringify({ registeredAfterStop: final.registered }))
}
