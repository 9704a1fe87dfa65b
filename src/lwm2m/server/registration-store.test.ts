import { describe, expect, it } from 'vitest'
import { createInMemoryRegistrationStore } from './registration-store.js'
import { startExpirySweeper } from './expiry.js'
import { createObservationRegistry } from './observations.js'
import { registeredInstances, type Registration } from './registration.js'

const reg = (id: string, endpoint: string, expiresAt = 1000): Registration => ({
  id,
  endpoint,
  peer: { address: '127.0.0.1', port: 1 },
  lwm2mVersion: '1.1',
  lifetime: 1,
  binding: 'U',
  rootPath: '/',
  objectLinks: [{ objectId: 1, instanceId: 2 }, { objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }],
  registeredAt: 0,
  lastUpdate: 0,
  expiresAt,
})

describe('in-memory registration store', () => {
  it('keeps one registration per endpoint, found by id and by endpoint', () => {
    const store = createInMemoryRegistrationStore()
    expect(store.add(reg('a', 'dev'))).toBeUndefined()
    expect(store.add(reg('b', 'dev'))?.id).toBe('a')
    expect(store.byId('a')).toBeUndefined()
    expect(store.byEndpoint('dev')?.id).toBe('b')
    expect(store.size).toBe(1)
  })

  it('updates only known ids and removes by id', () => {
    const store = createInMemoryRegistrationStore()
    expect(store.update(reg('x', 'dev'))).toBeUndefined()
    store.add(reg('x', 'dev'))
    expect(store.update({ ...reg('x', 'dev'), lifetime: 60 })?.lifetime).toBe(1)
    expect(store.byId('x')?.lifetime).toBe(60)
    expect(store.remove('x')?.endpoint).toBe('dev')
    expect(store.byEndpoint('dev')).toBeUndefined()
    expect(store.remove('x')).toBeUndefined()
  })

  it('lists expired registrations', () => {
    const store = createInMemoryRegistrationStore()
    store.add(reg('old', 'a', 500))
    store.add(reg('new', 'b', 5000))
    expect(store.expired(1000).map((r) => r.id)).toEqual(['old'])
    expect(store.all()).toHaveLength(2)
  })
})

describe('expiry sweeper', () => {
  it('hands every expired registration to onExpired', () => {
    const store = createInMemoryRegistrationStore()
    store.add(reg('old', 'a', 500))
    store.add(reg('new', 'b', 5000))
    const gone: string[] = []
    const sweeper = startExpirySweeper({ store, intervalMs: 60_000, now: () => 1000, onExpired: (r) => void gone.push(r.id) })
    try {
      expect(sweeper.sweep().map((r) => r.id)).toEqual(['old'])
      expect(gone).toEqual(['old'])
    } finally {
      sweeper.stop()
    }
  })
})

describe('observation registry', () => {
  it('forgets every observation of an endpoint at once', () => {
    const obs = createObservationRegistry()
    const cancel = async () => {}
    const a = obs.add({ endpoint: 'dev', registrationId: 'r', path: '/3/0', cancel })
    obs.add({ endpoint: 'dev', registrationId: 'r', path: '/3303/0/5700', cancel })
    obs.add({ endpoint: 'other', registrationId: 's', path: '/3/0', cancel })
    expect(obs.remove(a.id)?.path).toBe('/3/0')
    expect(obs.forget('dev').map((o) => o.path)).toEqual(['/3303/0/5700'])
    expect(obs.byEndpoint('dev')).toEqual([])
    expect(obs.size).toBe(1)
  })
})

describe('registeredInstances', () => {
  it('lists the instances of an object in registration order', () => {
    expect(registeredInstances(reg('a', 'dev'), 1)).toEqual([2, 0])
    expect(registeredInstances(reg('a', 'dev'), 5)).toEqual([])
  })
})
