import { describe, expect, it } from 'vitest'
import { createAttributeStore } from './attributes-store.js'

describe('createAttributeStore', () => {
  it('lets resource attributes override instance and object ones', () => {
    const s = createAttributeStore()
    s.write({ objectId: 3303 }, { pmin: 10, pmax: 60 })
    s.write({ objectId: 3303, instanceId: 0 }, { pmin: 5 })
    s.write({ objectId: 3303, instanceId: 0, resourceId: 5700 }, { gt: 30 })
    expect(s.effective({ objectId: 3303, instanceId: 0, resourceId: 5700 })).toEqual({ pmin: 5, pmax: 60, gt: 30 })
    expect(s.effective({ objectId: 3303, instanceId: 1, resourceId: 5700 })).toEqual({ pmin: 10, pmax: 60 })
  })

  it('removes an attribute written as null and forgets a deleted instance', () => {
    const s = createAttributeStore()
    s.write({ objectId: 3303, instanceId: 0 }, { pmin: 5, pmax: 9 })
    s.write({ objectId: 3303, instanceId: 0 }, { pmin: null })
    expect(s.at({ objectId: 3303, instanceId: 0 })).toEqual({ pmax: 9 })
    s.write({ objectId: 3303, instanceId: 0, resourceId: 5700 }, { st: 1 })
    s.removeBelow({ objectId: 3303, instanceId: 0 })
    expect(s.effective({ objectId: 3303, instanceId: 0, resourceId: 5700 })).toEqual({})
  })
})
