/**
 * The simulated device's 1.2-client habits against our real daemons (in-memory security store):
 * it asks for a Bootstrap-Pack first and offers LwM2M 1.2 first: it gets the pack, and registers as 1.2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import type { SendEvent, ServerDaemon } from '../../src/daemons/server.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import type { InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { givenDaemonPair, type DaemonPair } from '../helpers/daemonPair.js'
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
  let provision: DaemonPair['provision']
  const devices: Device[] = []

  beforeAll(async () => {
    ;({ store, bootstrap, server, bsUri, srvUri, provision } = await givenDaemonPair({ serverLifetime: 90, coapTimers: COAP }))
  })
  afterAll(async () => {
    await Promise.allSettled(devices.map((d) => d.stop()))
    await bootstrap?.stop()
    await server?.stop()
  })

  it('bootstraps from a Bootstrap-Pack, registers as LwM2M 1.2, then is managed through its session and Sends', async () => {
    const ep = 'daemon-dev-1'
    provision(ep)
    const d = createDevice({
      endpoint: ep,
      bootstrap: { uri: bsUri, identity: `bs-${ep}`, key: enc(`bs-key-${ep}`) },
      tryBootstrapPack: true,
      offerLwm2m12: true,
      models,
      timers: { ...FAST, retryAttempts: 1, retryDelayMs: 50 },
    })
    devices.push(d)
    const before = bootstrap.stats()
    await d.start()
    expect(d.state).toBe('registered')
    expect(bootstrap.stats()).toMatchObject({ packsServed: before.packsServed + 1, authorized: before.authorized })
    expect(server.registrations.byEndpoint(ep)?.lwm2mVersion).toBe('1.2')
    const read = await server.send(ep, { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 }, format: ContentFormat.TEXT })
    expect(read.success).toBe(true)
    expect(read.node).toMatchObject({ kind: 'resource', value: 'lwchain' })
    const sent = new Promise<SendEvent>((r) => server.events.once('send', r))
    expect(await d.send(['/3303/0/5700', '/3/0/0'], { time: 1_700_000_000 })).toBe('2.04')
    expect((await sent).values).toEqual([
      { path: '/3303/0/5700', value: d.temperature(), time: 1_700_000_000 },
      { path: '/3/0/0', value: 'lwchain', time: 1_700_000_000 },
    ])
    await d.stop()
    expect(server.registrations.byEndpoint(ep)).toBeUndefined()
  })
})
