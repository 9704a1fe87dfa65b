import { afterEach, describe, expect, it } from 'vitest'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { FAST, givenBootstrapServer, givenServer, models, psk, standardScript, until } from './fakes.js'

const started: Array<{ stop(): Promise<void> }> = []
afterEach(async () => {
  await Promise.allSettled(started.splice(0).reverse().map((s) => s.stop()))
})
const dec = new TextDecoder()

function keep<T extends { stop(): Promise<void> }>(x: T): T {
  started.push(x)
  return x
}

describe('device over plain CoAP and on failures', () => {
  it('bootstraps and registers over plain CoAP (coap:// URIs)', async () => {
    const srvPsk = psk('udp-1-srv')
    const server = keep(await givenServer([], { dtls: false }))
    const bs = keep(await givenBootstrapServer([], standardScript({ uri: server.uri, psk: srvPsk }), { dtls: false }))
    const device = keep(createDevice({ endpoint: 'udp-1', bootstrap: { uri: bs.uri, ...psk('udp-1-bs') }, models, timers: FAST }))
    await device.start()
    expect(server.reg('udp-1')?.identity).toBeUndefined()
    expect((await server.request('udp-1', { method: 'GET', path: ['3', '0', '0'], accept: ContentFormat.TEXT })).code).toBe('2.05')
  })

  it('over plain CoAP, answers only the server it registered with', async () => {
    const server = keep(await givenServer([], { dtls: false }))
    const stranger = keep(await givenServer([], { dtls: false }))
    const device = keep(createDevice({ endpoint: 'udp-2', server: { uri: server.uri, ...psk('udp-2') }, models, timers: FAST }))
    await device.start()
    const peer = server.reg('udp-2')!.peer
    expect((await stranger.endpoint.request(peer, { method: 'GET', path: ['3', '0', '0'] })).code).toBe('4.03')
    expect((await server.request('udp-2', { method: 'GET', path: ['3', '0', '0'] })).code).toBe('2.05')
  })

  it('fails to start with a typed error when its server refuses and it has no bootstrap account', async () => {
    const p = psk('refused-1')
    const server = keep(await givenServer([p]))
    server.refuseRegister = '4.03'
    const device = keep(createDevice({ endpoint: 'refused-1', server: { uri: server.uri, ...p }, models, timers: FAST }))
    await expect(device.start()).rejects.toMatchObject({ code: 'LWC_DEVICE_REGISTER_FAILED' })
    expect(device.state).toBe('failed')
  })

  it('fails to start when the DTLS handshake is refused (unknown identity)', async () => {
    const server = keep(await givenServer([]))
    const device = keep(createDevice({ endpoint: 'unknown-1', server: { uri: server.uri, ...psk('unknown-1') }, models, timers: FAST }))
    await expect(device.start()).rejects.toMatchObject({ code: 'LWC_DEVICE_REGISTER_FAILED' })
  })

  it('registers afresh after Execute Reboot', async () => {
    const p = psk('reboot-1')
    const server = keep(await givenServer([p]))
    const device = keep(createDevice({ endpoint: 'reboot-1', server: { uri: server.uri, ...p }, models, timers: FAST }))
    await device.start()
    const first = server.reg('reboot-1')!.id
    expect((await server.request('reboot-1', { method: 'POST', path: ['3', '0', '4'] })).code).toBe('2.04')
    await until(() => server.reg('reboot-1') !== undefined && server.reg('reboot-1')!.id !== first && device.state === 'registered')
    expect(server.deregistered).toContain('reboot-1')
  })

  it('holds back a notification until pmin has passed, then sends the latest value', async () => {
    const p = psk('pmin-1')
    const server = keep(await givenServer([p]))
    const device: Device = keep(createDevice({ endpoint: 'pmin-1', server: { uri: server.uri, ...p }, models, timers: FAST }))
    await device.start()
    await server.request('pmin-1', { method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=1'] })
    const seen: string[] = []
    const obs = await server.observe('pmin-1', { method: 'GET', path: ['3303', '0', '5700'], observe: 0, accept: ContentFormat.TEXT }, (r) => seen.push(dec.decode(r.payload)))
    device.temperature(10)
    device.temperature(11)
    device.temperature(12)
    await until(() => seen.length > 0)
    await new Promise((r) => setTimeout(r, 100))
    expect(seen).toEqual(['12'])
    await obs.cancel()
  })

  it('lets the temperature drift when a drift interval is set', async () => {
    const p = psk('drift-1')
    const server = keep(await givenServer([p]))
    const device = keep(createDevice({ endpoint: 'drift-1', server: { uri: server.uri, ...p }, models, timers: { ...FAST, temperatureDriftMs: 10 }, temperature: 20 }))
    await device.start()
    await until(() => device.temperature() !== 20)
  })
})
