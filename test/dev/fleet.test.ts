/**
 * A simulated fleet against the real bootstrap and server daemons (in-memory security store): the
 * devices of every content format and LwM2M version bootstrap, register, answer reads, and all
 * de-register on stop; an unknown device is refused and retried without holding up the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type Fleet, type SimFormat } from '../../src/commands/simulate/fleet.js'
import type { SimDeviceSpec } from '../../src/commands/simulate/credentials.js'
import type { BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import type { ServerDaemon } from '../../src/daemons/server.js'
import { silentLogger } from '../../src/logger.js'
import type { InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { givenDaemonPair, type DaemonPair } from '../helpers/daemonPair.js'

const enc = (s: string) => new TextEncoder().encode(s)
const COAP = { ackTimeoutMs: 200, maxRetransmit: 2, responseTimeoutMs: 2_000 }
const TIMERS = { ackTimeoutMs: 200, maxRetransmit: 2, handshakeTimeoutMs: 2_000, retryAttempts: 1, retryDelayMs: 50, stopTimeoutMs: 1_000 }

describe('a simulated fleet', () => {
  let store: InMemorySecurityStore
  let bootstrap: BootstrapDaemon
  let server: ServerDaemon
  let bsUri: string
  let srvUri: string
  const fleets: Fleet[] = []

  let provisionPair: DaemonPair['provision']
  const provision = (ep: string): SimDeviceSpec => {
    const c = provisionPair(ep)
    return { endpoint: ep, bootstrap: { uri: c.bootstrap.uri, identity: c.bootstrap.identity, key: c.bootstrap.key! } }
  }

  beforeAll(async () => {
    ;({ store, bootstrap, server, bsUri, srvUri, provision: provisionPair } = await givenDaemonPair({ serverLifetime: 90, coapTimers: COAP }))
  })
  afterAll(async () => {
    await Promise.allSettled(fleets.map((f) => f.stop()))
    await bootstrap?.stop()
    await server?.stop()
  })

  for (const [format, version] of [['tlv', '1.1'], ['senml-json', '1.1'], ['senml-cbor', '1.1'], ['tlv', '1.0']] as [SimFormat, '1.0' | '1.1'][]) {
    it(`registers LwM2M ${version} devices preferring ${format}, serves reads, and de-registers them all on stop`, async () => {
      const specs = [1, 2, 3].map((i) => provision(`${format}-${version}-${i}`))
      const states: string[] = []
      const fleet = createFleet({ specs, format, lwm2mVersion: version, driftMs: 0, concurrency: 2, timers: TIMERS, logger: silentLogger(), onState: (e, s) => states.push(`${e}:${s}`) })
      fleets.push(fleet)
      expect(await fleet.start()).toEqual({ registered: 3, failed: 0 })
      expect(fleet.counts()).toEqual({ registered: 3 })
      for (const s of specs) {
        expect(server.registrations.byEndpoint(s.endpoint)?.lwm2mVersion).toBe(version)
        expect(states).toContain(`${s.endpoint}:bootstrapped`)
      }
      const status = fleet.status()
      const read = await server.send(specs[0].endpoint, { kind: 'read', path: { objectId: 3303, instanceId: 0, resourceId: 5700 } })
      expect(read.success).toBe(true)
      expect(read.node).toMatchObject({ kind: 'resource', value: status[0].temperature })
      // Readings differ between devices, so a dashboard can tell them apart.
      expect(new Set(status.map((d) => d.temperature)).size).toBe(3)

      await fleet.stop()
      expect(fleet.counts()).toEqual({ stopped: 3 })
      for (const s of specs) expect(server.registrations.byEndpoint(s.endpoint)).toBeUndefined()
    })
  }

  it('counts a device the chain does not know as failed while the others register', async () => {
    const ok = provision('known-1')
    const unknown: SimDeviceSpec = { endpoint: 'unknown-1', bootstrap: { uri: bsUri, identity: 'bs-unknown-1', key: enc('nope') } }
    const fleet = createFleet({ specs: [unknown, ok], driftMs: 0, retryMs: 60_000, timers: TIMERS, logger: silentLogger() })
    fleets.push(fleet)
    expect(await fleet.start()).toEqual({ registered: 1, failed: 1 })
    expect(fleet.counts()).toEqual({ registered: 1, failed: 1 })
    await fleet.stop()
    expect(fleet.counts()).toEqual({ stopped: 2 })
  })
})
