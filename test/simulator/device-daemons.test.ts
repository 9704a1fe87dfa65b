/**
 * The simulated device's 1.2-client habits against our real daemons (in-memory security store):
 * it asks for a Bootstrap-Pack first and offers LwM2M 1.2 first, and still ends up registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBootstrapDaemon, type BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { silentLogger } from '../../src/logger.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { createInMemorySecurityStore, type InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, models } from './fakes.js'

const enc = (s: string) => new TextEncoder().encode(s)
const COAP = { ackTimeoutMs: 200, maxRetransmit: 2, responseTimeoutMs: 2_000 }

describe('the device with the bootstrap and server daemons', () => {
  let store: InMemorySecurityStore
  let bootstrap: BootstrapDaemon
  let server: ServerDaemon
  let bsUri: string
  let srvUri: string
  const devices: Device[] = []

  beforeAll(async () => {
    store = createInMemorySecurityStore()
    bootstrap = createBootstrapDaemon({ security: store, logger: silentLogger(), config: { port: 0, serverLifetime: 90, coapTimers: COAP } })
    server = createServerDaemon({ security: store, logger: silentLogger(), config: { port: 0, coapTimers: COAP } })
    bsUri = `coaps://127.0.0.1:${(await bootstrap.start()).address.port}`
    srvUri = `coaps://127.0.0.1:${(await server.start()).address.port}`
  })
  afterAll(async () => {
    await Promise.allSettled(devices.map((d) => d.stop()))
    await bootstrap?.stop()
    await server?.stop()
  })

  it('falls back from Bootstrap-Pack and from LwM2M 1.2, then is managed through its session', async () => {
    const ep = 'daemon-dev-1'
    store.put({
      endpoint: ep,
      bootstrap: { uri: bsUri, identity: `bs-${ep}`, key: enc(`bs-key-${ep}`) },
      server: { uri: srvUri, identity: `srv-${ep}`, key: enc(`srv-key-${ep}`) },
    })
    const d = createDevice({
      endpoint: ep,
      bootstrap: { uri: bsUri, identity: `bs-${ep}`, key: enc(`bs-key-${ep}`) },
      tryBootstrapPack: true,
      offerLwm2m12: true,
      models,
      timers: { ...FAST, retryAttempts: 1, retryDelayMs: 50 },
    })
    devices.push(d)
    await d.start()
    expect(d.state).toBe('registered')
    const read = await server.send(ep, { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 }, format: ContentFormat.TEXT })
    expect(read.success).toBe(true)
    expect(read.node).toMatchObject({ kind: 'resource', value: 'lwchain' })
    await d.stop()
    expect(server.registrations.byEndpoint(ep)).toBeUndefined()
  })
})
