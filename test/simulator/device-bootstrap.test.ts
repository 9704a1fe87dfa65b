import { afterEach, describe, expect, it } from 'vitest'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, givenBootstrapServer, givenServer, models, psk, standardScript, until, type FakeBootstrapServer, type FakeServer } from './fakes.js'

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
