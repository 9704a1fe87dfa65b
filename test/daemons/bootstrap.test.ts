/**
 * The bootstrap daemon on the in-memory SecurityStore: a device bootstraps over DTLS-PSK and
 * ends with the LwM2M server account written; identities of other endpoints, unknown identities
 * and revoked clients are refused.
 */
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBootstrapDaemon, type BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import type { BootstrapOutcome } from '../../src/lwm2m/bootstrap/index.js'
import { createInMemorySecurityStore, type InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { silentLogger } from '../../src/logger.js'
import { createCoapEndpoint } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { FAST_TIMERS, eventually, startBootstrapClient, text } from './bootstrap-helpers.js'

const enc = (s: string) => new TextEncoder().encode(s)

function client(endpoint: string) {
  return {
    endpoint,
    bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${endpoint}`, key: enc(`bs-key-${endpoint}`) },
    server: { uri: `coaps://10.0.0.7:5684`, identity: `srv-${endpoint}`, key: enc(`srv-key-${endpoint}`) },
  }
}

describe('bootstrap daemon (in-memory store)', () => {
  let store: InMemorySecurityStore
  let daemon: BootstrapDaemon
  let address: PeerAddress
  const outcomes: BootstrapOutcome[] = []

  beforeAll(async () => {
    store = createInMemorySecurityStore()
    for (const ep of ['dev-a', 'dev-b', 'dev-senml', 'dev-revoked', 'dev-silent', 'dev-bspack', 'dev-nodiscover']) store.put(client(ep))
    daemon = createBootstrapDaemon({
      security: store,
      transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
      config: { serverLifetime: 120, coapTimers: FAST_TIMERS, sessionTimeoutMs: 10_000 },
    })
    daemon.onOutcome((o) => outcomes.push(o))
    ;({ address } = await daemon.start())
  })
  afterAll(() => daemon?.stop())

  const outcomeOf = async (endpoint: string, after = 0) => {
    await eventually(() => outcomes.slice(after).some((o) => o.endpoint === endpoint))
    return outcomes.slice(after).find((o) => o.endpoint === endpoint)!
  }

  it('bootstraps a device: deletes /0 and /1, writes the server account in TLV, finishes', async () => {
    const c = client('dev-a')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    try {
      const res = await device.requestBootstrap('dev-a')
      expect(res.code).toBe('2.04')
      await device.finished
      expect(device.log).toEqual(['DELETE /0', 'DELETE /1', 'GET /0', 'PUT /0/1', 'PUT /1/0', 'POST /bs'])
      expect(device.writes.map((w) => w.contentFormat)).toEqual([11542, 11542])
      const sec = device.values('/0/1')
      expect(sec.get(0)).toBe('coaps://10.0.0.7:5684')
      expect(sec.get(1)).toBe(false)
      expect(sec.get(2)).toBe(0)
      expect(text(sec.get(3))).toBe('srv-dev-a')
      expect(text(sec.get(5))).toBe('srv-key-dev-a')
      expect(sec.get(10)).toBe(101)
      const srv = device.values('/1/0')
      expect(srv.get(0)).toBe(101)
      expect(srv.get(1)).toBe(120)
      expect(srv.get(6)).toBe(true)
      expect(srv.get(7)).toBe('U')
      const outcome = await outcomeOf('dev-a')
      expect(outcome.result).toBe('finished')
    } finally {
      await device.stop()
    }
  })

  it('writes in the format the client asks for with pct: SenML JSON 110, SenML CBOR 112, LwM2M JSON 11543', async () => {
    const c = client('dev-senml')
    for (const pct of [110, 112, 11543]) {
      const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
      try {
        expect((await device.requestBootstrap('dev-senml', pct)).code).toBe('2.04')
        await device.finished
        expect(device.writes.map((w) => w.contentFormat)).toEqual([pct, pct])
        expect(text(device.values('/0/1').get(5))).toBe('srv-key-dev-senml')
        expect(device.values('/1/0').get(1)).toBe(120)
      } finally {
        await device.stop()
      }
    }
  })

  it('writes the Security instance at a free id when the bootstrap account holds /0/1', async () => {
    const c = client('dev-b')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key, bootstrapInstances: [1] })
    try {
      await device.requestBootstrap('dev-b')
      await device.finished
      expect(device.writes.map((w) => w.path)).toEqual(['/0/2', '/1/0'])
    } finally {
      await device.stop()
    }
  })

  it('falls back to /0/1 with a client that cannot Bootstrap-Discover', async () => {
    const c = client('dev-nodiscover')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key, noDiscover: true })
    try {
      await device.requestBootstrap('dev-nodiscover')
      await device.finished
      expect(device.writes.map((w) => w.path)).toEqual(['/0/1', '/1/0'])
    } finally {
      await device.stop()
    }
  })

  it('refuses with 4.03 a device whose DTLS identity belongs to another endpoint', async () => {
    const c = client('dev-b')
    const before = daemon.stats()
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    try {
      expect((await device.requestBootstrap('dev-a')).code).toBe('4.03')
      expect((await device.requestBootstrap('no-such-endpoint')).code).toBe('4.03')
      expect(daemon.stats().unauthorized).toBe(before.unauthorized + 2)
      expect(device.log).toEqual([])
    } finally {
      await device.stop()
    }
  })

  it('answers 4.00 to a POST /bs without ep or with a pct it cannot write', async () => {
    const c = client('dev-a')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    try {
      expect((await device.coap.request(address, { method: 'POST', path: ['bs'] })).code).toBe('4.00')
      expect((await device.requestBootstrap('dev-a', 40)).code).toBe('4.00')
      expect((await device.coap.request(address, { method: 'GET', path: ['bs'], query: ['ep=dev-a'] })).code).toBe('4.05')
    } finally {
      await device.stop()
    }
  })

  it('fails the handshake of an unknown identity', async () => {
    const transport = createDtlsClientTransport({ peer: address, identity: 'nobody', key: enc('whatever-key'), timeoutMs: 3_000 })
    const coap = createCoapEndpoint({ transport, logger: silentLogger() })
    await expect(coap.start()).rejects.toMatchObject({ code: expect.stringMatching(/^LWC_DTLS_HANDSHAKE/) })
    await coap.stop()
  })

  it('serves GET /bspack (SenML CBOR) over DTLS, and POST /bs still works after it', async () => {
    const c = client('dev-bspack')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    try {
      const pack = await device.coap.request(address, { method: 'GET', path: ['bspack'], query: ['ep=dev-bspack'], accept: 112 })
      expect(pack.code).toBe('2.05')
      expect(pack.contentFormat).toBe(112)
      const other = await device.coap.request(address, { method: 'GET', path: ['bspack'], query: ['ep=dev-a'], accept: 112 })
      expect(other.code).toBe('4.03')
      expect((await device.requestBootstrap('dev-bspack')).code).toBe('2.04')
      await device.finished
      expect(device.writes).toHaveLength(2)
    } finally {
      await device.stop()
    }
  })

  it('counts a session whose device goes silent as failed', async () => {
    const c = client('dev-silent')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    const mark = outcomes.length
    const before = daemon.stats()
    device.coap.onRequest(() => new Promise(() => {})) // acknowledges nothing useful, never answers
    expect((await device.requestBootstrap('dev-silent')).code).toBe('2.04')
    const outcome = await outcomeOf('dev-silent', mark)
    expect(outcome).toMatchObject({ result: 'failed', reason: 'transport', step: 'delete /0' })
    expect(daemon.stats().failed).toBe(before.failed + 1)
    await device.stop()
  })

  it('revokes a removed client: its DTLS session is closed and a new handshake fails', async () => {
    const c = client('dev-revoked')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    device.coap.onRequest(() => new Promise(() => {})) // keeps the session in progress
    try {
      expect((await device.requestBootstrap('dev-revoked')).code).toBe('2.04')
      await eventually(() => daemon.stats().dtlsSessions > 0)
      const mark = outcomes.length
      store.remove('dev-revoked')
      const outcome = await outcomeOf('dev-revoked', mark)
      expect(outcome).toMatchObject({ result: 'failed', reason: 'revoked' })
      // The close_notify ended the device's session: it cannot send through it any more.
      await eventually(() => daemon.stats().dtlsSessions === 0)
      const again = await device.coap.request(address, { method: 'POST', path: ['bs'], query: ['ep=dev-revoked'] }).then(
        () => 'answered',
        () => 'refused',
      )
      expect(again).toBe('refused')
      const retry = createCoapEndpoint({
        transport: createDtlsClientTransport({ peer: address, identity: c.bootstrap.identity, key: c.bootstrap.key, timeoutMs: 3_000 }),
        logger: silentLogger(),
      })
      await expect(retry.start()).rejects.toMatchObject({ code: expect.stringMatching(/^LWC_DTLS_HANDSHAKE/) })
      await retry.stop()
    } finally {
      await device.stop()
    }
  })
})

describe('bootstrap daemon logs', () => {
  it('never log the PSKs, even at trace level', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) })
    const store = createInMemorySecurityStore([{ ...client('dev-logged'), version: 1 }])
    const daemon = createBootstrapDaemon({ security: store, transport: createDaemonTransport({ side: 'bootstrap', security: store, logger, port: 0 }), logger, config: { coapTimers: FAST_TIMERS } })
    const { address } = await daemon.start()
    const c = client('dev-logged')
    const device = await startBootstrapClient({ server: address, identity: c.bootstrap.identity, key: c.bootstrap.key })
    try {
      await device.requestBootstrap('dev-logged')
      await device.finished
      await eventually(() => daemon.stats().finished === 1)
    } finally {
      await device.stop()
      await daemon.stop()
    }
    const all = lines.join('')
    expect(all).toContain('bootstrap finished')
    for (const key of [c.server.key, c.bootstrap.key]) {
      const b = Buffer.from(key)
      for (const form of [b.toString('latin1'), b.toString('hex'), b.toString('base64'), b.toString('base64url')]) expect(all).not.toContain(form)
    }
  })
})

describe('bootstrap daemon, credential change', () => {
  it('closes the DTLS session of a client whose bootstrap key changed; the new key works', async () => {
    const store = createInMemorySecurityStore([{ ...client('dev-rekeyed'), version: 1 }])
    const daemon = createBootstrapDaemon({ security: store, transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0 }), logger: silentLogger(), config: { coapTimers: FAST_TIMERS } })
    const { address } = await daemon.start()
    const old = client('dev-rekeyed')
    const device = await startBootstrapClient({ server: address, identity: old.bootstrap.identity, key: old.bootstrap.key })
    try {
      await eventually(() => daemon.stats().dtlsSessions === 1)
      const newKey = enc('a-brand-new-key!')
      store.put({ ...old, bootstrap: { ...old.bootstrap, key: newKey } })
      await eventually(() => daemon.stats().dtlsSessions === 0)
      const again = await startBootstrapClient({ server: address, identity: old.bootstrap.identity, key: newKey })
      expect((await again.requestBootstrap('dev-rekeyed')).code).toBe('2.04')
      await again.finished
      await again.stop()
    } finally {
      await device.stop()
      await daemon.stop()
    }
  })
})

describe('bootstrap daemon over plain UDP (--insecure-udp, development only)', () => {
  it('bootstraps a device without DTLS', async () => {
    const store = createInMemorySecurityStore([{ ...client('dev-udp'), version: 1 }])
    const daemon = createBootstrapDaemon({ security: store, transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0, dtls: false }), logger: silentLogger(), config: { coapTimers: FAST_TIMERS } })
    const { address } = await daemon.start()
    const device = await startBootstrapClient({ server: address })
    try {
      expect((await device.requestBootstrap('dev-udp')).code).toBe('2.04')
      await device.finished
      expect(text(device.values('/0/1').get(3))).toBe('srv-dev-udp')
      expect((await device.requestBootstrap('nobody')).code).toBe('4.03')
    } finally {
      await device.stop()
      await daemon.stop()
    }
  })
})
