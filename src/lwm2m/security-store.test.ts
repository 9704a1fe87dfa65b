import { describe, expect, it } from 'vitest'
import { createInMemorySecurityStore, type SecurityChange } from './security-store.js'

const key = (b: number) => new Uint8Array(16).fill(b)
const device = (endpoint: string, n: number) => ({
  endpoint,
  bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${n}`, key: key(n) },
  server: { uri: 'coaps://127.0.0.1:5684', identity: `srv-${n}`, key: key(n + 100) },
})

describe('in-memory security store', () => {
  it('finds a client by endpoint and by each role identity', () => {
    const store = createInMemorySecurityStore()
    store.put(device('ep1', 1))
    expect(store.byEndpoint('ep1')?.version).toBe(1)
    expect(store.byIdentity('bs-1', 'bootstrap')?.key).toEqual(key(1))
    expect(store.byIdentity('srv-1', 'server')?.client.endpoint).toBe('ep1')
  })

  it('does not accept a bootstrap identity for the server role', () => {
    const store = createInMemorySecurityStore([{ ...device('ep1', 1), version: 1 }])
    expect(store.byIdentity('bs-1', 'server')).toBeUndefined()
    expect(store.byIdentity('unknown', 'bootstrap')).toBeUndefined()
  })

  it('re-indexes on update and forgets on removal, telling subscribers', () => {
    const store = createInMemorySecurityStore()
    const changes: SecurityChange['kind'][] = []
    store.subscribe((c) => changes.push(c.kind))
    store.put(device('ep1', 1))
    store.put({ ...device('ep1', 2), server: { ...device('ep1', 2).server, uri: 'coaps://10.0.0.2:5684' } })
    expect(store.byIdentity('srv-1', 'server')).toBeUndefined()
    expect(store.byEndpoint('ep1')?.version).toBe(2)
    expect(store.remove('ep1')).toBe(true)
    expect(store.remove('ep1')).toBe(false)
    expect(store.byIdentity('srv-2', 'server')).toBeUndefined()
    expect(changes).toEqual(['added', 'updated', 'removed'])
  })
})
