import { describe, expect, it } from 'vitest'
import type { ObjectModel, ResourceModel } from '../model.js'
import { createModelRegistry } from './registry.js'
import { modelsForObjects } from './versions.js'

const res = (id: number, type: ResourceModel['type']): ResourceModel => ({ id, name: `r${id}`, operations: 'R', multiple: false, mandatory: false, type })
const device = (version: string, type: ResourceModel['type']): ObjectModel => ({
  id: 3,
  name: 'Device',
  version,
  multiple: false,
  mandatory: true,
  resources: new Map([[99, res(99, type)]]),
})

describe('object versions select models', () => {
  const v11 = device('1.1', 'integer')
  const v12 = device('1.2', 'string')
  const registry = createModelRegistry([v11, v12])

  it('uses the version a client announced when we ship it', () => {
    const m = modelsForObjects(registry, [{ objectId: 3, version: '1.1' }])
    expect(m.getObject(3)).toBe(v11)
    expect(m.getResource(3, 99)?.type).toBe('integer')
    expect([...m.objects()]).toEqual([v11])
  })

  it('keeps the default (the later model) without a version, or for a version we do not ship', () => {
    expect(modelsForObjects(registry, [{ objectId: 3 }])).toBe(registry)
    expect(modelsForObjects(registry, [{ objectId: 3, version: '1.2' }])).toBe(registry)
    expect(modelsForObjects(registry, [{ objectId: 3, version: '2.0' }]).getObject(3)).toBe(v12)
  })
})
