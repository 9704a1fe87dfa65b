import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, givenServer, models, psk, type FakeServer } from './fakes.js'

const N = 100
const ids = Array.from({ length: N }, (_, i) => `many-${i}`)
let server: FakeServer | undefined
const devices: Device[] = []

afterAll(async () => {
  await Promise.allSettled(devices.map((d) => d.stop()))
  await server?.stop()
})

function gc(): void {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}

describe('many devices in one process', () => {
  it(`registers ${N} devices with one server and de-registers them all on stop`, async () => {
    server = await givenServer(ids.map(psk))
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < N; i += 20) {
      const batch = ids.slice(i, i + 20).map((ep) => createDevice({ endpoint: ep, server: { uri: server!.uri, ...psk(ep) }, models, timers: FAST }))
      devices.push(...batch)
      await Promise.all(batch.map((d) => d.start()))
    }
    expect(server.registrations.size).toBe(N)
    gc()
    // Includes the in-process server's sessions; test/simulator/measure-memory.ts isolates the devices.
    const perDevice = (process.memoryUsage().heapUsed - before) / N
    console.info(`heap per registered device (devices + server sessions): ${(perDevice / 1024).toFixed(1)} KiB`)
    await Promise.all(devices.map((d) => d.stop()))
    expect(server.registrations.size).toBe(0)
    expect(server.deregistered).toHaveLength(N)
  })
})
