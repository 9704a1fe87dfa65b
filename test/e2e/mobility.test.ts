/** End to end: `client move` re-homes a registered device from one server daemon to another. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientMove } from '../../src/commands/client/move.js'
import type { RunningServer } from '../../src/commands/serve/server.js'
import type { Registration } from '../../src/lwm2m/server/index.js'
import { eventually, givenSystem, nextEvent, type System } from './system.js'

describe('e2e: mobility between two server daemons', () => {
  let sys: System
  let second: RunningServer
  beforeAll(async () => {
    sys = await givenSystem()
    second = await sys.startServer('server2-view.json')
  })
  afterAll(() => sys.stop())

  it('a moved device is sent back to bootstrap and lands on its new server', async () => {
    const added = await sys.addDevice('e2e-mover')
    const device = sys.device(added)
    await device.start()
    expect(sys.server.daemon.registrations.byEndpoint('e2e-mover')).toBeDefined()

    const left = nextEvent<[Registration, string]>(sys.server.daemon.events, 'deregistered')
    const arrived = nextEvent<[Registration]>(second.daemon.events, 'registered')
    await runClientMove(sys.cmd, { endpoint: 'e2e-mover', serverUri: second.url })

    // 'moved' when the trigger's answer is handled first; the device's own De-register may win the race.
    expect(['moved', 'deregistered']).toContain((await left)[1])
    const [reg] = await arrived
    expect(reg).toMatchObject({ endpoint: 'e2e-mover', identity: added.server.identity })
    await eventually(() => device.state === 'registered')
    expect(sys.server.daemon.registrations.byEndpoint('e2e-mover')).toBeUndefined()
    expect(sys.server.daemon.stats().moved).toBe(1)

    // Managed through the new server now.
    const read = await second.daemon.send('e2e-mover', { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 } })
    expect(read.success).toBe(true)
  })
})
