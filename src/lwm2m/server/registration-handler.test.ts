import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../logger.js'
import { createInMemorySecurityStore } from '../security-store.js'
import { createInMemoryRegistrationStore } from './registration-store.js'
import { createRegistrationHandler, type DeregistrationReason } from './registration-handler.js'
import type { Registration } from './registration.js'

const peer = { address: '127.0.0.1', port: 40000 }
const key = new Uint8Array([1, 2, 3])

function given(now = { t: 1_000_000 }) {
  const security = createInMemorySecurityStore([
    {
      endpoint: 'dev1',
      version: 1,
      bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: 'bs-dev1', key },
      server: { uri: 'coaps://127.0.0.1:5684', identity: 'srv-dev1', key },
    },
  ])
  const store = createInMemoryRegistrationStore()
  const events: Array<[string, Registration, DeregistrationReason?]> = []
  let n = 0
  const handler = createRegistrationHandler({
    security,
    store,
    logger: silentLogger(),
    now: () => now.t,
    newId: () => `id${++n}`,
    listener: {
      registered: (r) => events.push(['registered', r]),
      updated: (r) => events.push(['updated', r]),
      deregistered: (r, why) => events.push(['deregistered', r, why]),
    },
  })
  const post = (path: string[], query: string[], payload = '', identity: string | undefined = 'srv-dev1') =>
    handler.handle({ method: 'POST', path, query, payload: new TextEncoder().encode(payload) }, { peer, identity })
  return { handler, store, events, post, now, security }
}

describe('registration handler', () => {
  it('registers a 1.1 client and answers its location', () => {
    const { post, store } = given()
    const res = post(['rd'], ['ep=dev1', 'lt=300', 'lwm2m=1.1', 'b=U'], '</>;rt="oma.lwm2m";ct="60 110",</1/0>,</3/0>;ver=1.1')
    expect(res).toEqual({ code: '2.01', locationPath: ['rd', 'id1'] })
    const reg = store.byEndpoint('dev1')!
    expect(reg).toMatchObject({ lwm2mVersion: '1.1', lifetime: 300, binding: 'U', identity: 'srv-dev1', contentFormats: [60, 110] })
    expect(reg.objectLinks).toEqual([{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0, version: '1.1' }])
    expect(reg.expiresAt).toBe(1_000_000 + 300_000)
  })

  it('registers a 1.0 client without a root entry, with defaults for lt and b', () => {
    const { post, store } = given()
    expect(post(['rd'], ['ep=dev1', 'lwm2m=1.0'], '</1/0>,</3/0>')?.code).toBe('2.01')
    expect(store.byEndpoint('dev1')).toMatchObject({ lwm2mVersion: '1.0', lifetime: 86400, binding: 'U', rootPath: '/' })
  })

  it('registers a 1.2 client as 1.2, and answers 4.12 to a version it does not speak', () => {
    const { post, store } = given()
    expect(post(['rd'], ['ep=dev1', 'lwm2m=1.3'], '</3/0>')?.code).toBe('4.12')
    expect(post(['rd'], ['ep=dev1', 'lwm2m=2.0'], '</3/0>')?.code).toBe('4.12')
    expect(post(['rd'], ['ep=dev1', 'lwm2m=1.2'], '</3>;ver=1.2,</3/0>')?.code).toBe('2.01')
    expect(store.byEndpoint('dev1')?.lwm2mVersion).toBe('1.2')
    expect(post(['rd'], ['ep=dev1', 'lwm2m=1.1'], '</3/0>')?.code).toBe('2.01')
    expect(store.byEndpoint('dev1')?.lwm2mVersion).toBe('1.1')
  })

  it('cannot register without an endpoint name or with malformed links', () => {
    const { post } = given()
    expect(post(['rd'], ['lt=300'], '</3/0>')?.code).toBe('4.00')
    expect(post(['rd'], ['ep=dev1', 'lt=abc'], '</3/0>')?.code).toBe('4.00')
    expect(post(['rd'], ['ep=dev1'], '<not a link')?.code).toBe('4.00')
    expect(post(['rd'], ['ep=dev1'], '</foo/bar>')?.code).toBe('4.00')
  })

  it('cannot register with the identity of another endpoint or as an unknown endpoint', () => {
    const { post, store } = given()
    expect(post(['rd'], ['ep=dev1'], '</3/0>', 'someone-else')?.code).toBe('4.03')
    expect(post(['rd'], ['ep=dev1'], '</3/0>', 'bs-dev1')?.code).toBe('4.03')
    expect(post(['rd'], ['ep=ghost'], '</3/0>', 'srv-dev1')?.code).toBe('4.03')
    expect(store.size).toBe(0)
  })

  it('updates lifetime and links, and refuses an unknown registration id', () => {
    const { post, store, now } = given()
    post(['rd'], ['ep=dev1', 'lt=300'], '</3/0>')
    now.t += 10_000
    expect(post(['rd', 'id1'], ['lt=600'], '</3/0>,</3303/0>')?.code).toBe('2.04')
    expect(store.byId('id1')).toMatchObject({ lifetime: 600, lastUpdate: 1_010_000, expiresAt: 1_010_000 + 600_000 })
    expect(store.byId('id1')!.objectLinks).toHaveLength(2)
    expect(post(['rd', 'nope'], [])?.code).toBe('4.04')
  })

  it('de-registers and tells the listener', () => {
    const { handler, store, events, post } = given()
    post(['rd'], ['ep=dev1'], '</3/0>')
    const res = handler.handle({ method: 'DELETE', path: ['rd', 'id1'], query: [], payload: new Uint8Array() }, { peer, identity: 'srv-dev1' })
    expect(res?.code).toBe('2.02')
    expect(store.size).toBe(0)
    expect(events.map((e) => [e[0], e[2]])).toEqual([['registered', undefined], ['deregistered', 'deregistered']])
  })

  it('replaces the registration when the same endpoint registers again', () => {
    const { post, store, events } = given()
    post(['rd'], ['ep=dev1'], '</3/0>')
    post(['rd'], ['ep=dev1'], '</3/0>')
    expect(store.all().map((r) => r.id)).toEqual(['id2'])
    expect(events.map((e) => e[2] ?? e[0])).toEqual(['registered', 'replaced', 'registered'])
  })

  it('refuses the next update with 4.04 after refuseNextUpdate', () => {
    const { handler, post, store } = given()
    post(['rd'], ['ep=dev1'], '</3/0>')
    handler.refuseNextUpdate('dev1')
    expect(post(['rd', 'id1'], [])?.code).toBe('4.04')
    expect(store.size).toBe(0)
  })

  it('ends the registration when an update comes after the record was removed', () => {
    const { post, store, security, events } = given()
    post(['rd'], ['ep=dev1'], '</3/0>')
    // Removed without the daemon acting on the change (e.g. no subscriber): the update still checks.
    security.remove('dev1')
    expect(post(['rd', 'id1'], [])?.code).toBe('4.04')
    expect(store.size).toBe(0)
    expect(events.at(-1)?.[2]).toBe('revoked')
  })

  it('leaves other paths to the caller', () => {
    const { post } = given()
    expect(post(['bs'], ['ep=dev1'])).toBeUndefined()
  })
})
