/**
 * End to end on a real chain: provisioning through the client commands, both daemons
 * authenticating from their ChainViews, and a simulated device going through its whole life.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Registration } from '../../src/lwm2m/server/index.js'
import type { LwM2mResponse } from '../../src/lwm2m/request/types.js'
import { eventually, givenSystem, nextEvent, type System } from './system.js'

describe('e2e: bootstrap → register → device management → update → deregister', () => {
  let sys: System
  beforeAll(async () => {
    sys = await givenSystem()
  })
  afterAll(() => sys.stop())

  it('a provisioned device bootstraps, registers and is managed through its session', async () => {
    const added = await sys.addDevice('e2e-dev-1')
    const device = sys.device(added)
    const daemon = sys.server.daemon
    await device.start()
    expect(device.state).toBe('registered')
    const reg = daemon.registrations.byEndpoint('e2e-dev-1')!
    expect(reg).toMatchObject({ identity: added.server.identity, lwm2mVersion: '1.1' })
    expect(device.registrationLocation).toBe(`/rd/${reg.id}`)
    expect(sys.bootstrap.daemon.stats()).toMatchObject({ finished: 1 })

    // Read
    const model = await daemon.send('e2e-dev-1', { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 } })
    expect(model).toMatchObject({ success: true, code: 'CONTENT' })
    const temp = await daemon.send('e2e-dev-1', { kind: 'read', path: { objectId: 3303, instanceId: 0 } })
    expect(temp.success).toBe(true)
    expect(temp.node?.kind).toBe('instance')

    // Write (partial update of the Server instance's lifetime) and read back.
    const serverInstance = reg.objectLinks.find((o) => o.objectId === 1 && o.instanceId !== undefined)!.instanceId!
    const write = await daemon.send('e2e-dev-1', {
      kind: 'write',
      mode: 'replace',
      path: { objectId: 1, instanceId: serverInstance, resourceId: 1 },
      node: { kind: 'resource', id: 1, type: 'integer', value: 120 },
    })
    expect(write.code).toBe('CHANGED')
    const lifetime = await daemon.send('e2e-dev-1', { kind: 'read', path: { objectId: 1, instanceId: serverInstance, resourceId: 1 } })
    expect(lifetime.node).toMatchObject({ value: 120 })

    // Observe, and a notification when the value changes.
    const notes: LwM2mResponse[] = []
    const obs = await daemon.observe('e2e-dev-1', { kind: 'observe', path: { objectId: 3303, instanceId: 0, resourceId: 5700 } }, (r) => notes.push(r))
    expect(obs.active).toBe(true)
    device.temperature(30.5)
    await eventually(() => notes.length > 0)
    expect(notes.at(-1)!.node).toMatchObject({ value: 30.5 })
    await obs.cancel()

    // Update
    const updated = nextEvent<[Registration, Registration]>(daemon.events, 'updated')
    await device.update()
    const [after, before] = await updated
    expect(after.lastUpdate).toBeGreaterThanOrEqual(before.lastUpdate)

    // Execute: Reboot (/3/0/4): the device comes back as a new registration.
    const reregistered = nextEvent<[Registration]>(daemon.events, 'registered')
    const exec = await daemon.send('e2e-dev-1', { kind: 'execute', path: { objectId: 3, instanceId: 0, resourceId: 4 } })
    expect(exec.code).toBe('CHANGED')
    const [fresh] = await reregistered
    expect(fresh.id).not.toBe(reg.id)

    // De-register
    const gone = nextEvent<[Registration, string]>(daemon.events, 'deregistered')
    await device.deregister()
    expect((await gone)[1]).toBe('deregistered')
    expect(daemon.registrations.byEndpoint('e2e-dev-1')).toBeUndefined()
  })

  it('reports health with the chain lag', async () => {
    const res = await fetch(`${sys.server.api}/health`)
    const body = (await res.json()) as { status: string; chain: { healthy: boolean; lastSyncedBlock: number } }
    expect(body.status).toBe('ok')
    expect(body.chain.healthy).toBe(true)
    expect(body.chain.lastSyncedBlock).toBeGreaterThan(0)
  })

  it('discovers, creates, partially updates, writes attributes and deletes through the chain-backed server', async () => {
    const added = await sys.addDevice('e2e-dm-2')
    const device = sys.device(added)
    await device.start()
    const daemon = sys.server.daemon
    const ep = 'e2e-dm-2'

    const discover = await daemon.send(ep, { kind: 'discover', path: { objectId: 3303, instanceId: 0 } })
    expect(discover.success).toBe(true)
    expect(discover.links!.map((l) => l.target)).toContain('/3303/0/5700')

    const created = await daemon.send(ep, {
      kind: 'create',
      path: { objectId: 3303 },
      node: { kind: 'instance', id: 7, resources: new Map([[5700, { kind: 'resource', id: 5700, type: 'float', value: 19.5 }]]) },
    })
    expect(created).toMatchObject({ code: 'CREATED', location: '/3303/7' })

    // Partial update (POST) of the Server instance: only the default pmin changes.
    const inst = daemon.registrations.byEndpoint(ep)!.objectLinks.find((o) => o.objectId === 1 && o.instanceId !== undefined)!.instanceId!
    const before = await daemon.send(ep, { kind: 'read', path: { objectId: 1, instanceId: inst } })
    const partial = await daemon.send(ep, {
      kind: 'write',
      mode: 'update',
      path: { objectId: 1, instanceId: inst },
      node: { kind: 'instance', id: inst, resources: new Map([[2, { kind: 'resource', id: 2, type: 'integer', value: 5 }]]) },
    })
    expect(partial.code).toBe('CHANGED')
    const after = await daemon.send(ep, { kind: 'read', path: { objectId: 1, instanceId: inst } })
    const res = (n: unknown) => (n as { resources: Map<number, { value: unknown }> }).resources
    expect(res(after.node).get(2)!.value).toBe(5)
    expect(res(after.node).get(1)!.value).toBe(res(before.node).get(1)!.value)
    const read = await daemon.send(ep, { kind: 'read', path: { objectId: 3303, instanceId: 7, resourceId: 5700 } })
    expect(read.node).toMatchObject({ value: 19.5 })

    const attrs = await daemon.send(ep, { kind: 'writeAttributes', path: { objectId: 3303, instanceId: 7, resourceId: 5700 }, attributes: { pmin: 1, pmax: 60 } })
    expect(attrs.code).toBe('CHANGED')

    const deleted = await daemon.send(ep, { kind: 'delete', path: { objectId: 3303, instanceId: 7 } })
    expect(deleted.code).toBe('DELETED')
    expect((await daemon.send(ep, { kind: 'read', path: { objectId: 3303, instanceId: 7 } })).code).toBe('NOT_FOUND')
    await device.stop()
  })

  it('manages an LwM2M 1.0 device (TLV) the same way', async () => {
    const added = await sys.addDevice('e2e-v10')
    const device = sys.device(added, { lwm2mVersion: '1.0' })
    await device.start()
    const reg = sys.server.daemon.registrations.byEndpoint('e2e-v10')!
    expect(reg.lwm2mVersion).toBe('1.0')
    const read = await sys.server.daemon.send('e2e-v10', { kind: 'read', path: { objectId: 3303, instanceId: 0, resourceId: 5700 } })
    expect(read).toMatchObject({ success: true, format: 11542, node: { value: 21.5 } })
    await device.stop()
    expect(sys.server.daemon.registrations.byEndpoint('e2e-v10')).toBeUndefined()
  })
})
