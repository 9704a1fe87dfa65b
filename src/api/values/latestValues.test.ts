import { describe, expect, it } from 'vitest'
import { createLatestValues } from './latestValues.js'

describe('latest values', () => {
  it('keeps the latest value per resource with its time and source', () => {
    const v = createLatestValues()
    v.record('d1', { '/3303/0/5700': 21.5, '/3/0/0': 'Acme' }, 'read', 1000)
    v.record('d1', { '/3303/0/5700': 22 }, 'notification', 2000)
    expect(v.latest('d1')).toEqual({
      '/3303/0/5700': { value: 22, time: 2000, source: 'notification' },
      '/3/0/0': { value: 'Acme', time: 1000, source: 'read' },
    })
    expect(v.history('d1', '/3303/0/5700')).toEqual([{ time: 1000, value: 21.5 }, { time: 2000, value: 22 }])
    expect(v.history('d1', '/3/0/0')).toEqual([])
    expect(v.latest('nobody')).toEqual({})
  })

  it('bounds resources per device (least recently updated goes), history length and string length', () => {
    const v = createLatestValues({ maxPaths: 2, historyLength: 3, maxStringLength: 4 })
    v.record('d', { '/1/0/1': 1 }, 'read', 1)
    v.record('d', { '/1/0/2': 2 }, 'read', 2)
    v.record('d', { '/1/0/1': 10 }, 'read', 3)
    v.record('d', { '/1/0/3': 'abcdefgh' }, 'read', 4)
    expect(Object.keys(v.latest('d')).sort()).toEqual(['/1/0/1', '/1/0/3'])
    expect(v.latest('d')['/1/0/3']!.value).toBe('abcd…')
    for (let i = 0; i < 5; i++) v.record('d', { '/1/0/1': i }, 'notification', 10 + i)
    expect(v.history('d', '/1/0/1').map((s) => s.value)).toEqual([2, 3, 4])
    expect(v.size()).toEqual({ devices: 1, resources: 2 })
  })

  it('keeps the history in order while it grows and after it wraps', () => {
    const v = createLatestValues({ historyLength: 6 })
    for (let i = 1; i <= 5; i++) v.record('d', { '/x': i }, 'notification', i * 1000)
    expect(v.history('d', '/x')).toEqual([1, 2, 3, 4, 5].map((i) => ({ time: i * 1000, value: i })))
    for (let i = 6; i <= 9; i++) v.record('d', { '/x': i }, 'notification', i * 1000)
    expect(v.history('d', '/x').map((s) => s.value)).toEqual([4, 5, 6, 7, 8, 9])
  })

  it('bounds devices and forgets one', () => {
    const v = createLatestValues({ maxDevices: 2 })
    v.record('a', { '/1/0/1': 1 }, 'read')
    v.record('b', { '/1/0/1': 1 }, 'read')
    v.record('c', { '/1/0/1': 1, '/1/0/2': 2 }, 'read')
    expect(v.latest('a')).toEqual({})
    expect(v.size()).toEqual({ devices: 2, resources: 3 })
    v.forget('c')
    expect(v.size()).toEqual({ devices: 1, resources: 1 })
  })
})
