import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ClientNotRegisteredError } from '../../src/lwm2m/server/index.js'
import type { LwM2mResponse } from '../../src/lwm2m/request/types.js'
import { clientRecord, eventually, givenServer, handDevice, type GivenServer, type HandDevice } from './server-helpers.js'

const dev = clientRecord('dev1')
const other = clientRecord('dev2')

describe('server daemon: registration interface over DTLS', () => {
  let s: GivenServer
  const devices: HandDevice[] = []
  const open = async (identity = dev.server.identity, key = dev.server.key!) => {
    const d = await handDevice(s.address, identity, key)
    devices.push(d)
    return d
  }
  beforeAll(async () => {
    s = await givenServer([dev, other], { httpPort: 0 })
  })
  afterEach(async () => {
    await Promise.allSettled(devices.splice(0).map((d) => d.stop()))
    for (const r of s.daemon.registrations.all()) s.daemon.registrations.remove(r.id)
  })
  afterAll(async () => {
    await s.daemon.stop()
  })

  it('can register with LwM2M 1.1, update and de-register', async () => {
    const d = await open()
    const reg = await d.register(['ep=dev1', 'lt=300', 'lwm2m=1.1', 'b=U'], '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;ver=1.1')
    expect(reg.code).toBe('2.01')
    expect(reg.locationPath[0]).toBe('rd')
    const stored = s.daemon.registrations.byEndpoint('dev1')!
    expect(stored).toMatchObject({ id: reg.locationPath[1], lwm2mVersion: '1.1', lifetime: 300, identity: dev.server.identity, contentFormats: [110] })

    const upd = await d.request({ method: 'POST', path: reg.locationPath, query: ['lt=600'] })
    expect(upd.code).toBe('2.04')
    expect(s.daemon.registrations.byEndpoint('dev1')!.lifetime).toBe(600)

    const del = await d.request({ method: 'DELETE', path: reg.locationPath })
    expect(del.code).toBe('2.02')
    expect(s.daemon.registrations.byEndpoint('dev1')).toBeUndefined()
  })

  it('can register with LwM2M 1.0 and a payload without root entry', async () => {
    const d = await open()
    expect((await d.register(['ep=dev1', 'lt=300', 'lwm2m=1.0'], '</1/0>,</3/0>')).code).toBe('2.01')
    expect(s.daemon.registrations.byEndpoint('dev1')).toMatchObject({ lwm2mVersion: '1.0', rootPath: '/' })
  })

  it('registers a client offering 1.2 as 1.2; one offering 1.3 gets 4.12 and retries with 1.1', async () => {
    const d = await open()
    expect((await d.register(['ep=dev1', 'lwm2m=1.2'])).code).toBe('2.01')
    expect(s.daemon.registrations.byEndpoint('dev1')?.lwm2mVersion).toBe('1.2')
    expect((await d.register(['ep=dev1', 'lwm2m=1.3'])).code).toBe('4.12')
    expect((await d.register(['ep=dev1', 'lwm2m=1.1'])).code).toBe('2.01')
    expect(s.daemon.registrations.byEndpoint('dev1')?.lwm2mVersion).toBe('1.1')
  })

  it('answers 4.00 to a registration without endpoint name or with malformed links', async () => {
    const d = await open()
    expect((await d.register(['lt=300'])).code).toBe('4.00')
    expect((await d.register(['ep=dev1'], '<3/0')).code).toBe('4.00')
  })

  it('cannot register with the identity of another endpoint', async () => {
    const d = await open(other.server.identity, other.server.key!)
    expect((await d.register(['ep=dev1', 'lwm2m=1.1'])).code).toBe('4.03')
    expect(s.daemon.registrations.size).toBe(0)
  })

  it('answers 4.04 to an update of an unknown registration', async () => {
    const d = await open()
    expect((await d.request({ method: 'POST', path: ['rd', 'nosuchid'] })).code).toBe('4.04')
  })

  it('cannot even handshake with an unknown identity', async () => {
    await expect(handDevice(s.address, 'nobody', new Uint8Array([1, 2, 3]))).rejects.toThrow()
  })

  it('reads, writes, executes and observes through the session the device registered on', async () => {
    const d = await open()
    await d.register(['ep=dev1', 'lwm2m=1.1', 'lt=300'], '</>;rt="oma.lwm2m";ct=11542,</1/0>,</3/0>,</3303/0>')

    const read = await s.daemon.send('dev1', { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 } })
    expect(read).toMatchObject({ code: 'CONTENT', success: true, node: { kind: 'resource', value: 'Acme' } })

    const write = await s.daemon.send('dev1', {
      kind: 'write',
      mode: 'replace',
      path: { objectId: 3, instanceId: 0, resourceId: 0 },
      node: { kind: 'resource', id: 0, type: 'string', value: 'Globex' },
    })
    expect(write.code).toBe('CHANGED')
    expect(d.values.get('/3/0/0')!.value).toBe('Globex')

    const exec = await s.daemon.send('dev1', { kind: 'execute', path: { objectId: 3, instanceId: 0, resourceId: 4 } })
    expect(exec.code).toBe('CHANGED')
    expect(d.executed).toEqual(['/3/0/4'])

    const notifications: LwM2mResponse[] = []
    const events: string[] = []
    s.daemon.events.on('notification', (e) => events.push(`${e.endpoint} ${e.path} ${String((e.node as { value?: unknown } | undefined)?.value)}`))
    const obs = await s.daemon.observe('dev1', { kind: 'observe', path: { objectId: 3303, instanceId: 0, resourceId: 5700 } }, (r) => notifications.push(r))
    expect(obs.active).toBe(true)
    expect(obs.response.node).toMatchObject({ value: 21.5 })
    d.setValue('/3303/0/5700', 23.25)
    await eventually(() => notifications.length > 0)
    expect(notifications[0].node).toMatchObject({ value: 23.25 })
    expect(events).toContain('dev1 /3303/0/5700 23.25')
    expect(s.daemon.stats().observations).toBe(1)
    await obs.cancel()
    expect(s.daemon.stats().observations).toBe(0)
  })

  it('addresses a device under the alternate root path it registered', async () => {
    const d = await open()
    const paths: string[] = []
    d.coap.onRequest((req) => {
      paths.push('/' + req.path.join('/'))
      return { code: '2.05', contentFormat: 0, payload: 'Acme' }
    })
    expect((await d.register(['ep=dev1', 'lwm2m=1.1'], '</lwm2m>;rt="oma.lwm2m";ct=11542,</lwm2m/3/0>')).code).toBe('2.01')
    expect(s.daemon.registrations.byEndpoint('dev1')!.rootPath).toBe('/lwm2m')
    const read = await s.daemon.send('dev1', { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 }, format: 0 })
    expect(read.node).toMatchObject({ value: 'Acme' })
    expect(paths).toEqual(['/lwm2m/3/0/0'])
  })

  it('forgets the observations of a client that de-registers', async () => {
    const d = await open()
    const reg = await d.register(['ep=dev1', 'lwm2m=1.1'])
    await s.daemon.observe('dev1', { kind: 'observe', path: { objectId: 3303, instanceId: 0, resourceId: 5700 } })
    expect(s.daemon.stats().observations).toBe(1)
    await d.request({ method: 'DELETE', path: reg.locationPath })
    expect(s.daemon.stats().observations).toBe(0)
  })

  it('rejects a request to an endpoint that is not registered with a typed error', async () => {
    await expect(s.daemon.send('dev2', { kind: 'read', path: { objectId: 3 } })).rejects.toBeInstanceOf(ClientNotRegisteredError)
    await expect(s.daemon.send('dev2', { kind: 'read', path: { objectId: 3 } })).rejects.toMatchObject({ code: 'LWC_NOT_REGISTERED' })
  })

  it('reports its health and registrations over HTTP', async () => {
    const d = await open()
    await d.register(['ep=dev1', 'lwm2m=1.1'])
    const res = await fetch(`${s.httpUrl}/api/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', registrations: 1, chain: null })
  })
})

describe('server daemon: lifetime, revocation, mobility', () => {
  let s: GivenServer
  const devices: HandDevice[] = []
  beforeAll(async () => {
    s = await givenServer([dev, other])
  })
  afterAll(async () => {
    await Promise.allSettled(devices.map((d) => d.stop()))
    await s.daemon.stop()
  })

  it('removes a registration whose lifetime ran out', async () => {
    const d = await handDevice(s.address, dev.server.identity, dev.server.key!)
    devices.push(d)
    const reasons: string[] = []
    s.daemon.events.on('deregistered', (_r, why) => reasons.push(why))
    expect((await d.register(['ep=dev1', 'lt=1'])).code).toBe('2.01')
    await eventually(() => s.daemon.registrations.size === 0)
    expect(reasons).toEqual(['expired'])
    s.daemon.events.removeAllListeners('deregistered')
    await d.stop()
    await eventually(() => s.daemon.stats().sessions === 0)
  })

  it('revokes a removed client: registration gone, session closed, handshake refused', async () => {
    const d = await handDevice(s.address, other.server.identity, other.server.key!)
    devices.push(d)
    expect((await d.register(['ep=dev2', 'lt=300'])).code).toBe('2.01')
    const reasons: string[] = []
    s.daemon.events.on('deregistered', (_r, why) => reasons.push(why))
    s.security.remove('dev2')
    expect(s.daemon.registrations.byEndpoint('dev2')).toBeUndefined()
    expect(reasons).toEqual(['revoked'])
    expect(s.daemon.stats().sessions).toBe(0)
    await expect(handDevice(s.address, other.server.identity, other.server.key!)).rejects.toThrow()
    s.daemon.events.removeAllListeners('deregistered')
  })

  it('sends a moved client back to bootstrap with Execute /1/x/9', async () => {
    const d = await handDevice(s.address, dev.server.identity, dev.server.key!)
    devices.push(d)
    expect((await d.register(['ep=dev1', 'lt=300'], '</1/3>,</3/0>')).code).toBe('2.01')
    s.security.put({ ...dev, server: { ...dev.server, uri: 'coaps://127.0.0.1:6684' } })
    await eventually(() => d.executed.length > 0)
    expect(d.executed).toEqual(['/1/3/9'])
    await eventually(() => s.daemon.registrations.byEndpoint('dev1') === undefined)
    // A bootstrap server with a stale view may send it back here: refused while the chain says otherwise.
    expect((await d.register(['ep=dev1', 'lt=300'])).code).toBe('4.03')
    s.security.put(dev)
    expect((await d.register(['ep=dev1', 'lt=300'])).code).toBe('2.01')
  })

  it('refuses the next update of a moved client that does not support the trigger', async () => {
    const c = clientRecord('dev3')
    s.security.put(c)
    const d = await handDevice(s.address, c.server.identity, c.server.key!)
    devices.push(d)
    const reg = await d.register(['ep=dev3', 'lt=300'], '</3/0>')
    s.security.put({ ...c, server: { ...c.server, uri: 'coaps://127.0.0.1:6684' } })
    expect((await d.request({ method: 'POST', path: reg.locationPath })).code).toBe('4.04')
    expect(s.daemon.registrations.byEndpoint('dev3')).toBeUndefined()
  })
})

describe('server daemon: plain UDP for development', () => {
  let s: GivenServer
  beforeAll(async () => {
    s = await givenServer([dev], { dtls: false })
  })
  afterAll(async () => {
    await s.daemon.stop()
  })

  it('registers a known endpoint over plain CoAP and refuses an unknown one', async () => {
    const d = await handDevice(s.address, undefined)
    try {
      expect((await d.register(['ep=dev1'])).code).toBe('2.01')
      expect((await d.register(['ep=stranger'])).code).toBe('4.03')
    } finally {
      await d.stop()
    }
  })
})

describe('server daemon: HTTP extension point', () => {
  it('lets the REST layer add routes before the HTTP server listens', async () => {
    const { createServerDaemon } = await import('../../src/daemons/server.js')
    const { createInMemorySecurityStore } = await import('../../src/lwm2m/security-store.js')
    const { silentLogger } = await import('../../src/logger.js')
    const { createDaemonTransport } = await import('../../src/daemons/transport.js')
    const security = createInMemorySecurityStore()
    const daemon = createServerDaemon({
      security,
      transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
      extendHttp: (app, d) => {
        app.get('/api/clients', async () => d.registrations.all().map((r) => r.endpoint))
      },
      config: { httpPort: 0 },
    })
    const { http } = await daemon.start()
    try {
      expect(await (await fetch(`${http!.url}/api/clients`)).json()).toEqual([])
    } finally {
      await daemon.stop()
    }
  })
})

describe('server daemon: lifecycle', () => {
  it('stops cleanly when never started, and refuses a second start', async () => {
    const { createServerDaemon } = await import('../../src/daemons/server.js')
    const { createInMemorySecurityStore } = await import('../../src/lwm2m/security-store.js')
    const { silentLogger } = await import('../../src/logger.js')
    const { createDaemonTransport } = await import('../../src/daemons/transport.js')
    const given = () => {
      const security = createInMemorySecurityStore()
      return createServerDaemon({ security, transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0 }), logger: silentLogger(), config: {} })
    }
    const idle = given()
    await idle.stop()
    const daemon = given()
    await daemon.start()
    try {
      await expect(daemon.start()).rejects.toMatchObject({ code: 'LWC_DAEMON_STARTED' })
    } finally {
      await daemon.stop()
    }
  })
})
