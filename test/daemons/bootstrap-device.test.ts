/**
 * The simulated device (src/simulator) against the bootstrap daemon and the LwM2M server daemon:
 * what the bootstrap writes is what the device then registers with (server URI, identity, key,
 * lifetime), in TLV for a 1.0 device and SenML when it asks with pct.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import type { ServerDaemon } from '../../src/daemons/server.js'
import type { InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { givenDaemonPair, type DaemonPair } from '../helpers/daemonPair.js'
import { createDevice, type Device, type DeviceRequestEvent } from '../../src/simulator/device.js'
import { FAST_TIMERS } from './bootstrap-helpers.js'

const DEVICE_TIMERS = { ackTimeoutMs: 300, maxRetransmit: 2, handshakeTimeoutMs: 3_000, bootstrapTimeoutMs: 10_000, retryAttempts: 1, retryDelayMs: 100 }

describe('a simulated device bootstraps, then registers where it was told', () => {
  let store: InMemorySecurityStore
  let bootstrap: BootstrapDaemon
  let server: ServerDaemon
  let bsUri: string
  let srvUri: string
  let provision: DaemonPair['provision']
  const devices: Device[] = []

  beforeAll(async () => {
    ;({ store, bootstrap, server, bsUri, srvUri, provision } = await givenDaemonPair({ serverLifetime: 77, coapTimers: FAST_TIMERS }))
  })
  afterAll(async () => {
    for (const d of devices) await d.stop().catch(() => {})
    await bootstrap?.stop()
    await server?.stop()
  })

  const device = (endpoint: string, extra: { lwm2mVersion?: '1.0' | '1.1'; preferredContentFormat?: number; identity?: string; key?: Uint8Array } = {}) => {
    const c = store.byEndpoint(endpoint)!
    const d = createDevice({
      endpoint,
      bootstrap: { uri: bsUri, identity: extra.identity ?? c.bootstrap.identity, key: extra.key ?? c.bootstrap.key! },
      lwm2mVersion: extra.lwm2mVersion,
      preferredContentFormat: extra.preferredContentFormat,
      timers: DEVICE_TIMERS,
    })
    devices.push(d)
    return d
  }

  for (const [name, opts] of [
    ['a 1.0 device (TLV)', { lwm2mVersion: '1.0' as const }],
    ['a 1.1 device asking for SenML JSON', { preferredContentFormat: 110 }],
    ['a 1.1 device asking for SenML CBOR', { preferredContentFormat: 112 }],
  ] as const) {
    it(`provisions ${name} and it registers with the server credentials and lifetime`, async () => {
      const endpoint = `sim-${name.replace(/\W+/g, '-')}`
      provision(endpoint)
      const d = device(endpoint, opts)
      const requests: DeviceRequestEvent[] = []
      d.on('request', (r) => requests.push(r))
      await d.start()
      expect(d.state).toBe('registered')
      const reg = server.registrations.byEndpoint(endpoint)!
      expect(reg.identity).toBe(`srv-${endpoint}`)
      expect(reg.lifetime).toBe(77)
      const bs = requests.filter((r) => r.interface === 'bootstrap')
      expect(bs.map((r) => [r.kind, r.path, r.code].filter(Boolean).join(' '))).toEqual([
        'bootstrapDelete /0 2.02',
        'bootstrapDelete /1 2.02',
        'bootstrapDiscover /0 2.05',
        'bootstrapWrite /0/1 2.04',
        'bootstrapWrite /1/0 2.04',
        'bootstrapFinish 2.04',
      ])
      await d.stop()
    })
  }

  it("refuses a device that presents another endpoint's bootstrap identity", async () => {
    provision('sim-victim')
    provision('sim-intruder')
    const intruder = store.byEndpoint('sim-intruder')!
    const d = device('sim-victim', { identity: intruder.bootstrap.identity, key: intruder.bootstrap.key })
    await expect(d.bootstrap()).rejects.toThrow(/4\.03/)
    expect(server.registrations.byEndpoint('sim-victim')).toBeUndefined()
  })
})
