import { describe, expect, it } from 'vitest'
import { endpointHash, usernameHash } from '../hashes.js'
import type { StoreEvent } from './events.js'
import { ViewState } from './viewState.js'

const rec = (endpoint: string, bs: string, srv: string) => ({
  endpoint,
  bootstrapUri: 'coaps://b:1',
  bootstrapIdentity: bs,
  bootstrapKeySealed: '0x01' as const,
  serverUri: 'coaps://s:1',
  serverIdentity: srv,
  serverKeySealed: '0x02' as const,
})
const ev = (e: Partial<StoreEvent> & { type: StoreEvent['type'] }): StoreEvent => ({ version: 1, block: 1n, logIndex: 0, ...e }) as StoreEvent

describe('ViewState', () => {
  it('undoes events in reverse, back to the state before them', () => {
    const s = new ViewState()
    s.apply(ev({ type: 'ClientAdded', endpointHash: endpointHash('a'), record: rec('a', 'id-1', 'id-2') }))
    const before = JSON.stringify(s.entries())
    const evs = [
      ev({ type: 'ClientUpdated', endpointHash: endpointHash('a'), record: rec('a', 'id-3', 'id-2'), version: 2 }),
      ev({ type: 'ClientAdded', endpointHash: endpointHash('b'), record: rec('b', 'id-1', 'id-4') }),
      ev({ type: 'ClientRemoved', endpointHash: endpointHash('a') }),
    ]
    const undos = evs.map((e) => {
      const u = s.undoOf(e)
      s.apply(e)
      return u!
    })
    for (const u of undos.reverse()) s.undo(u)
    expect(JSON.stringify(s.entries())).toBe(before)
    expect(s.endpointOfIdentity('id-1')).toBe('a')
    expect(s.endpointOfIdentity('id-4')).toBeUndefined()
  })

  it('releases identities an update dropped and keeps those it kept', () => {
    const s = new ViewState()
    s.apply(ev({ type: 'ClientAdded', endpointHash: endpointHash('a'), record: rec('a', 'id-1', 'id-2') }))
    const change = s.apply(ev({ type: 'ClientUpdated', endpointHash: endpointHash('a'), version: 2, record: rec('a', 'id-1', 'id-3') }))
    expect(change?.kind).toBe('client-updated')
    expect(s.endpointOfIdentity('id-1')).toBe('a')
    expect(s.endpointOfIdentity('id-2')).toBeUndefined()
    expect(s.endpointOfIdentity('id-3')).toBe('a')
  })

  it('ignores removals of unknown endpoints and users', () => {
    const s = new ViewState()
    expect(s.apply(ev({ type: 'ClientRemoved', endpointHash: endpointHash('nobody') }))).toBeUndefined()
    expect(s.apply(ev({ type: 'UserRemoved', usernameHash: usernameHash('nobody') }))).toBeUndefined()
  })

  it('round-trips through a snapshot of sealed entries only', () => {
    const s = new ViewState()
    s.apply(ev({ type: 'ClientAdded', endpointHash: endpointHash('a'), record: rec('a', 'id-1', 'id-2') }))
    s.apply(ev({ type: 'UserAdded', usernameHash: usernameHash('u'), record: { username: 'u', role: 1, emailHash: '0xaa', emailSealed: '0x03', passwordSealed: '0x04' } }))
    const copy = new ViewState()
    copy.restore(JSON.parse(JSON.stringify(s.entries())))
    expect(copy.clientByEndpoint('a')).toEqual(s.clientByEndpoint('a'))
    expect(copy.userByUsername('u')?.roleName).toBe('admin')
    expect(copy.userByEmailHash('0xAA')?.username).toBe('u')
  })
})
