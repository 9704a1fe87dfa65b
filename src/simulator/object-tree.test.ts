import { describe, expect, it } from 'vitest'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import type { ObjectInstanceNode, ResourceNode } from '../lwm2m/node.js'
import { writeDeviceObject, writeTemperatureObject, setTemperature } from './default-objects.js'
import { createObjectTree } from './object-tree.js'

const models = loadDefaultModels()
const r = (id: number, type: ResourceNode['type'], value: unknown): [number, ResourceNode] => [id, { kind: 'resource', id, type, value } as ResourceNode]
const inst = (id: number, ...resources: Array<[number, ResourceNode]>): ObjectInstanceNode => ({ kind: 'instance', id, resources: new Map(resources) })

function tree() {
  const t = createObjectTree(models)
  writeDeviceObject(t, 'ep-1', '2.0')
  writeTemperatureObject(t, 0, 20)
  return t
}

describe('object tree', () => {
  it('reads readable resources only for a server, everything for the bootstrap server', () => {
    const t = tree()
    t.setValue(1, 0, 0, 101)
    const read = t.read({ objectId: 3, instanceId: 0 }, 'server')
    expect('node' in read && read.node.kind === 'instance' && read.node.resources.get(2)).toMatchObject({ value: 'ep-1' })
    expect(t.read({ objectId: 3, instanceId: 0, resourceId: 4 }, 'server')).toEqual({ code: '4.05' })
    expect(t.read({ objectId: 3, instanceId: 1 }, 'server')).toEqual({ code: '4.04' })
    expect(t.read({ objectId: 3, instanceId: 0, resourceId: 11, resourceInstanceId: 0 }, 'server')).toMatchObject({ node: { kind: 'resourceInstance', value: 0 } })
  })

  it('computes the current time when it is read', () => {
    const t = tree()
    const v = t.value(3, 0, 13) as Date
    expect(Math.abs(v.getTime() - Date.now())).toBeLessThan(5_000)
  })

  it('refuses a DM write of a read-only resource, all or nothing', () => {
    const t = tree()
    expect(t.write({ objectId: 3, instanceId: 0 }, inst(0, r(14, 'string', '+01:00'), r(0, 'string', 'x')), 'update')).toBe('4.05')
    expect(t.value(3, 0, 14)).toBe('+00:00')
    expect(t.write({ objectId: 3, instanceId: 0 }, inst(0, r(14, 'string', '+01:00')), 'update')).toBe('2.04')
    expect(t.value(3, 0, 14)).toBe('+01:00')
  })

  it('answers 4.04 to a DM write of a resource the model does not define', () => {
    const t = tree()
    expect(t.write({ objectId: 3, instanceId: 0, resourceId: 999 }, r(999, 'opaque', new Uint8Array([1]))[1], 'replace')).toBe('4.04')
    expect(t.write({ objectId: 3, instanceId: 0 }, inst(0, r(999, 'opaque', new Uint8Array([1]))), 'update')).toBe('4.04')
  })

  it('replace removes the writable resources the payload leaves out; update keeps them', () => {
    const t = tree()
    t.write({ objectId: 1, instanceId: 0 }, inst(0, r(0, 'integer', 1), r(1, 'unsigned', 60), r(2, 'integer', 5), r(7, 'string', 'U')), 'bootstrap')
    expect(t.write({ objectId: 1, instanceId: 0 }, inst(0, r(1, 'unsigned', 90)), 'update')).toBe('2.04')
    expect(t.value(1, 0, 2)).toBe(5)
    expect(t.write({ objectId: 1, instanceId: 0 }, inst(0, r(1, 'unsigned', 30), r(7, 'string', 'U')), 'replace')).toBe('2.04')
    expect(t.value(1, 0, 2)).toBeUndefined()
    expect(t.value(1, 0, 0)).toBe(1) // read-only: untouched by replace
  })

  it('lets the bootstrap server write whole objects and create instances', () => {
    const t = tree()
    const code = t.write({ objectId: 0 }, { kind: 'object', id: 0, instances: new Map([[3, inst(3, r(0, 'string', 'coaps://x'))]]) }, 'bootstrap')
    expect(code).toBe('2.04')
    expect(t.value(0, 3, 0)).toBe('coaps://x')
    expect(t.write({ objectId: 3303, instanceId: 9 }, inst(9, r(5700, 'float', 1)), 'replace')).toBe('4.04')
  })

  it('creates instances of multi-instance objects only, and deletes them', () => {
    const t = tree()
    expect(t.create(3303, inst(1, r(5700, 'float', 3)))).toEqual({ code: '2.01', instanceIds: [1] })
    expect(t.create(3303, inst(1))).toMatchObject({ code: '4.00' })
    expect(t.create(3, inst(1))).toMatchObject({ code: '4.05' })
    expect(t.create(9999, inst(0))).toMatchObject({ code: '4.04' })
    expect(t.delete({ objectId: 3303, instanceId: 1 })).toBe('2.02')
    expect(t.delete({ objectId: 3303, instanceId: 1 })).toBe('4.04')
  })

  it('keeps min and max measured in step with the sensor and reports changes', () => {
    const t = tree()
    const changed: string[] = []
    t.onChange((p) => changed.push(`${p.objectId}/${p.instanceId}/${p.resourceId}`))
    setTemperature(t, 0, 25)
    setTemperature(t, 0, 15)
    expect([t.value(3303, 0, 5601), t.value(3303, 0, 5602), t.value(3303, 0, 5700)]).toEqual([15, 25, 15])
    expect(changed).toContain('3303/0/5700')
  })
})
