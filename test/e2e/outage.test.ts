/** End to end: the chain goes away and comes back; the daemons keep authenticating from their views. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, givenSystem, type System } from './system.js'

interface Health {
  status: string
  registrations: number
  chain: { healthy: boolean; lastError?: string; lastSyncedBlock: number }
}

describe('e2e: chain outage and return', () => {
  let sys: System
  beforeAll(async () => {
    sys = await givenSystem()
  })
  afterAll(() => sys.stop())

  const health = async (): Promise<Health> => (await (await fetch(`${sys.server.api}/health`)).json()) as Health

  it('keeps bootstrapping and registering from the last synced view, reports lag, resyncs on return', async () => {
    const first = await sys.addDevice('e2e-outage-1')
    const waiting = await sys.addDevice('e2e-outage-2')
    await sys.device(first).start()
    const synced = (await health()).chain.lastSyncedBlock

    await sys.stopChain()
    await eventually(async () => (await health()).status === 'degraded')
    const during = await health()
    expect(during.chain.healthy).toBe(false)
    expect(during.chain.lastError).toBeTruthy()

    // A device that never connected before: new DTLS handshakes at both daemons, from the view alone.
    const late = sys.device(waiting)
    await late.start()
    expect(sys.server.daemon.registrations.byEndpoint('e2e-outage-2')).toBeDefined()
    expect((await health()).registrations).toBe(2)

    await sys.restartChain()
    await eventually(async () => (await health()).status === 'ok')
    expect((await health()).chain.lastSyncedBlock).toBeGreaterThanOrEqual(synced)
    // Registrations survived the outage (no spurious revocation on resync).
    expect(sys.server.daemon.registrations.size).toBe(2)

    // Changes made after the return reach the daemons.
    const third = await sys.addDevice('e2e-outage-3')
    await sys.device(third).start()
    expect(sys.server.daemon.registrations.byEndpoint('e2e-outage-3')).toBeDefined()
  })
})
