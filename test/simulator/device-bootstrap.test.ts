import { afterEach, describe, expect, it } from 'vitest'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { parseLinks } from '../../src/lwm2m/link.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { FAST, givenBootstrapServer, givenServer, models, psk, securityInstance, serverInstance, standardScript, until, type FakeBootstrapServer, type FakeServer } from './fakes.js'

const started: Array<{ stop(): Promise<void> }> = []
afterEach(async () => {
  await Promise.allSettled(started.splice(0).reverse().map((s) => s.stop()))
})

async function world(ep: string, format?: number): Promise<{ bs: FakeBootstrapServer; server: FakeServer; device: Device }> {
  const bsPsk = psk(`${ep}-bs`)
  const srvPsk = psk(`${ep}-srv`)
  const server = await givenServer([srvPsk])
  started.push(server)
  const bs = await givenBootstrapServer([bsPsk], standardScript({ uri: server.uri, psk: srvPsk, format }))
  started.push(bs)
  const device = createDevice({ endpoint: ep, bootstrap: { uri: bs.uri, ...bsPsk }, models, timers: { ...FAST, retryDelayMs: 50 } })
  started.push(device)
  return { bs, server, device }
}

describe('device bootstrap', () => {
  it('bootstraps, then registers at the written server URI with the written PSK', async () => {
    const { bs, server, device } = await world('dev-bs-1')
    const states: string[] = []
    device.on('state', (s) => states.push(s))
    await device.start()
    expect(device.state).toBe('registered')
    expect(states).toEqual(['bootstrapping', 'bootstrapped', 'registering', 'registered'])
    const seenBs = bs.seen[0]
    expect(seenBs.req.query).toEqual(['ep=dev-bs-1'])
    expect(seenBs.identity).toBe('dev-bs-1-bs')
    expect(bs.answers[0].map((a) => a.code)).toEqual(['2.02', '2.04', '2.04', '2.04'])
    const reg = server.reg('dev-bs-1')
    expect(reg?.identity).toBe('dev-bs-1-srv')
    expect(reg?.query).toEqual(['ep=dev-bs-1', 'lt=300', 'lwm2m=1.1', 'b=U'])
    expect(device.registrationLocation).toBe(`/rd/${reg?.id}`)
  })

  for (const [name, format] of [
    ['SenML JSON', ContentFormat.SENML_JSON],
    ['SenML CBOR', ContentFormat.SENML_CBOR],
    ['LwM2M JSON', ContentFormat.JSON],
  ] as const) {
    it(`accepts Bootstrap-Writes in ${name}`, async () => {
      const { server, device } = await world(`dev-bs-${format}`, format)
      await device.start()
      expect(server.reg(`dev-bs-${format}`)?.identity).toBe(`dev-bs-${format}-srv`)
    })
  }

  it('sends pct when a preferred content format is set', async () => {
    const { bs } = await world('dev-bs-pct')
    const device = createDevice({ endpoint: 'dev-bs-pct', bootstrap: { uri: bs.uri, ...psk('dev-bs-pct-bs') }, preferredContentFormat: 110, models, timers: FAST })
    started.push(device)
    await device.start()
    expect(bs.seen.at(-1)?.req.query).toEqual(['ep=dev-bs-pct', 'pct=110'])
  })

  it('refuses Bootstrap-Finish without a server account, and never deletes its bootstrap account', async () => {
    const { bs, device } = await world('dev-bs-nofin')
    bs.setScript(() => [{ method: 'DELETE', path: [] }, { method: 'DELETE', path: ['0'] }, { method: 'POST', path: ['bs'] }])
    const p = device.start()
    await bs.finished(1)
    expect(bs.answers[0].map((a) => a.code)).toEqual(['2.02', '2.02', '4.06'])
    await device.stop()
    await expect(p).rejects.toThrow()
  })
  void until
})

describe('Bootstrap-Pack', () => {
  it('falls back to POST /bs when GET /bspack is refused', async () => {
    const { bs, server } = await world('dev-pack-1')
    const device = createDevice({ endpoint: 'dev-pack-1', bootstrap: { uri: bs.uri, ...psk('dev-pack-1-bs') }, tryBootstrapPack: true, models, timers: FAST })
    started.push(device)
    await device.start()
    expect(bs.seen.map((s) => `${s.req.method} /${s.req.path.join('/')}`)).toEqual(['GET /bspack', 'POST /bs'])
    expect(server.reg('dev-pack-1')).toBeDefined()
  })

  it('applies a Bootstrap-Pack and registers without POST /bs', async () => {
    const srvPsk = psk('dev-pack-2-srv')
    const server = await givenServer([srvPsk])
    started.push(server)
    const codec = codecFor(ContentFormat.SENML_JSON)
    const dec = new TextDecoder()
    const records = [
      ...JSON.parse(dec.decode(codec.encode({ kind: 'object', id: 0, instances: new Map([[1, securityInstance(1, server.uri, srvPsk, 7)]]) }, { objectId: 0 }, models))),
      ...JSON.parse(dec.decode(codec.encode({ kind: 'object', id: 1, instances: new Map([[0, serverInstance(0, 7, 120)]]) }, { objectId: 1 }, models))),
    ]
    const pack = { format: ContentFormat.SENML_JSON, payload: new TextEncoder().encode(JSON.stringify(records)) }
    const bs = await givenBootstrapServer([psk('dev-pack-2-bs')], () => [], { pack })
    started.push(bs)
    const device = createDevice({ endpoint: 'dev-pack-2', bootstrap: { uri: bs.uri, ...psk('dev-pack-2-bs') }, tryBootstrapPack: true, preferredContentFormat: 110, models, timers: FAST })
    started.push(device)
    await device.start()
    expect(bs.seen.map((s) => `${s.req.method} /${s.req.path.join('/')}`)).toEqual(['GET /bspack'])
    expect(server.reg('dev-pack-2')?.query).toContain('lt=120')
  })
})

describe('device bootstrap interface', () => {
  it('answers Bootstrap-Discover with its objects, versions and server accounts', async () => {
    const { bs, server, device } = await world('dev-bs-disc')
    const base = standardScript({ uri: server.uri, psk: psk('dev-bs-disc-srv') })('dev-bs-disc')
    bs.setScript(() => [...base.slice(0, -1), { method: 'GET', path: [], accept: ContentFormat.LINK }, { method: 'GET', path: ['1'] }, base.at(-1)!])
    await device.start()
    const [discover, read] = bs.answers[0].slice(3, 5)
    expect(discover.code).toBe('2.05')
    const text = new TextDecoder().decode(discover.payload)
    expect(text.startsWith('</>;lwm2m=1.1,')).toBe(true)
    expect(text).toContain('</0/0>')
    expect(parseLinks(text).find((l) => l.target === '/0/1')?.attributes).toEqual({ ssid: 101, uri: server.uri })
    expect(text).toContain('</1>;ver=1.1,</1/0>;ssid=101')
    expect(text).toContain('</3/0>')
    expect(read.code).toBe('2.05')
    expect(read.contentFormat).toBe(ContentFormat.TLV)
  })

  it('bootstraps an LwM2M 1.0 device with TLV', async () => {
    const { bs, server } = await world('dev-bs-10')
    const device = createDevice({ endpoint: 'dev-bs-10', lwm2mVersion: '1.0', bootstrap: { uri: bs.uri, ...psk('dev-bs-10-bs') }, models, timers: FAST })
    started.push(device)
    await device.start()
    expect(server.reg('dev-bs-10')?.query).toContain('lwm2m=1.0')
  })

  it('goes back to bootstrap on Execute /1/0/9 and lands on the new server', async () => {
    const { bs, server, device } = await world('dev-bs-move')
    const newPsk = psk('dev-bs-move-srv2')
    const server2 = await givenServer([newPsk])
    started.push(server2)
    await device.start()
    const bootstrapped: string[] = []
    device.on('bootstrapped', () => bootstrapped.push('bs'))
    bs.setScript(standardScript({ uri: server2.uri, psk: newPsk }))
    const res = await server.request('dev-bs-move', { method: 'POST', path: ['1', '0', '9'] })
    expect(res.code).toBe('2.04')
    await until(() => server2.reg('dev-bs-move') !== undefined && device.state === 'registered')
    expect(server.deregistered).toContain('dev-bs-move')
    expect(server2.reg('dev-bs-move')?.identity).toBe('dev-bs-move-srv2')
    expect(bootstrapped).toEqual(['bs'])
  })

  it('bootstraps again when its server refuses the registration', async () => {
    const { bs, server, device: _unused } = await world('dev-bs-refused')
    void _unused
    const srvPsk = psk('dev-bs-refused-srv')
    const server2 = await givenServer([srvPsk])
    started.push(server2)
    server.refuseRegister = '4.03'
    bs.setScript(standardScript({ uri: server2.uri, psk: srvPsk }))
    const device = createDevice({
      endpoint: 'dev-bs-refused',
      server: { uri: server.uri, ...srvPsk },
      bootstrap: { uri: bs.uri, ...psk('dev-bs-refused-bs') },
      models,
      timers: { ...FAST, retryDelayMs: 20 },
    })
    started.push(device)
    await device.start()
    expect(server.seen.some((s) => s.req.path.join('/') === 'rd')).toBe(true)
    expect(bs.seen).toHaveLength(1)
    expect(server2.reg('dev-bs-refused')).toBeDefined()
  })

  it('goes back to bootstrap when its server refuses an update and the registration (mobility without the trigger)', async () => {
    const { bs, server, device } = await world('dev-bs-upd')
    const newPsk = psk('dev-bs-upd-srv2')
    const server2 = await givenServer([newPsk])
    started.push(server2)
    await device.start()
    bs.setScript(standardScript({ uri: server2.uri, psk: newPsk }))
    server.refuseUpdate = '4.03'
    server.refuseRegister = '4.03'
    // As the update timer would: through the Registration Update Trigger.
    expect((await server.request('dev-bs-upd', { method: 'POST', path: ['1', '0', '8'] })).code).toBe('2.04')
    await until(() => server2.reg('dev-bs-upd') !== undefined && device.state === 'registered')
    // One refused registration, then straight to bootstrap.
    expect(server.seen.filter((s) => s.req.method === 'POST' && s.req.path.join('/') === 'rd')).toHaveLength(2)
  })

  it('fails after bounded retries when the server closes the session and the credentials are revoked', async () => {
    const { bs, server, device } = await world('dev-bs-revoke')
    await device.start()
    const peer = server.reg('dev-bs-revoke')!.peer
    server.keys.clear()
    bs.keys.clear()
    server.closeSession(peer)
    await until(() => device.state === 'failed', 20_000)
  })
})
