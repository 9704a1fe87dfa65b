/**
 * One endpoint-name rule end to end (issue 16): names a CoAP Uri-Query carries (spaces,
 * non-ASCII UTF-8, `&`/`=`/`/`, 252 bytes) are provisioned with `client add`, register as
 * simulated devices (over DTLS, through the bootstrap server too), and are listed, read and shown
 * through the REST API; anything else is refused at `client add` with one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientAdd } from '../../src/commands/client/add.js'
import { createDevice } from '../../src/simulator/device.js'
import { DEVICE_TIMERS, eventually } from '../e2e/system.js'
import { givenDaemonPair, type DaemonPair } from '../helpers/daemonPair.js'
import { givenApiSystem, type ApiSystem } from './devices-helpers.js'

const NAMES = ['has space', 'Gerät-東京 🌡', 'a&b=c/d?e', 'é'.repeat(126)]

describe('endpoint names: one rule from client add to the REST API', () => {
  let sys: ApiSystem
  beforeAll(async () => {
    sys = await givenApiSystem()
  }, 120_000)
  afterAll(async () => {
    await sys?.stop()
  })

  it('provisions, registers, lists, reads and shows every name the rule allows', async () => {
    expect(Buffer.byteLength(NAMES[3]!, 'utf8')).toBe(252)
    for (const name of NAMES) {
      await sys.device(name, 21.5)
      const enc = encodeURIComponent(name)
      const one = await sys.call('GET', `/api/clients/${enc}`, { role: 'user' })
      expect(one.status, name).toBe(200)
      expect(((await one.json()) as { endpoint: string }).endpoint).toBe(name)
      const read = await sys.call('GET', `/api/clients/${enc}/3303/0/5700`, { role: 'application' })
      expect(read.status, name).toBe(200)
      expect(((await read.json()) as { values: Record<string, number> }).values['/3303/0/5700']).toBe(21.5)
      const found = await sys.call('GET', `/api/clients?q=${encodeURIComponent(name.slice(0, 6))}`, { role: 'user' })
      expect(((await found.json()) as { items: Array<{ endpoint: string }> }).items.map((i) => i.endpoint)).toContain(name)
    }
  }, 120_000)

  it('refuses at client add, with one line, what no Uri-Query can carry or LwM2M cannot show', async () => {
    for (const [name, why] of [
      ['x'.repeat(253), /253 bytes of UTF-8; at most 252 fit in a CoAP Uri-Query "ep=" option/],
      ['tab\there', /contains a control character/],
      ['', /is empty/],
    ] as const) {
      const err = (await runClientAdd(sys.cmd, { endpoint: name }).then(
        () => undefined,
        (e: unknown) => e,
      )) as { shortMessage: string; code: string; exitCode: number } | undefined
      expect(err, JSON.stringify(name)).toBeDefined()
      expect(err!.shortMessage).toMatch(why)
      expect(err!.shortMessage).not.toContain('\n')
      expect(err!.code).toBe('LWC_INVALID_INPUT')
      expect(err!.exitCode).toBe(2)
    }
  })
})

describe('endpoint names through the bootstrap server', () => {
  let pair: DaemonPair
  beforeAll(async () => {
    pair = await givenDaemonPair({ serverLifetime: 300, coapTimers: { ackTimeoutMs: 500, maxRetransmit: 3 } })
  })
  afterAll(async () => {
    await pair?.stop()
  })

  it('bootstraps and registers devices with spaces, UTF-8 and 252-byte names', async () => {
    for (const name of NAMES) {
      const c = pair.provision(name)
      const d = createDevice({ endpoint: name, bootstrap: c.bootstrap as never, timers: DEVICE_TIMERS })
      try {
        await d.start()
        await eventually(() => pair.server.registrations.byEndpoint(name) !== undefined)
      } finally {
        await d.stop()
      }
    }
  }, 120_000)
})
