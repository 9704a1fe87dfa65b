/**
 * One valid PSK used from thousands of source ports: the per-identity cap keeps it to one
 * session (each new one replaces the last), so the global limits stay free for everyone else.
 * The figures (sessions the attacker holds at the end, time for the 50 others) are printed.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { decodeMessage, encodeMessage, OptionNumber, type CoapOption } from '../../src/transport/coap/index.js'
import type { PeerAddress } from '../../src/transport/types.js'
import type { DtlsTransport } from '../../src/transport/dtls/server.js'
import { RawDtlsClient } from './dtls-raw-client.js'
import { givenServer, until } from './dtls-helpers.js'

const ATTACKER_SESSIONS = 2000
const CONCURRENCY = 16
const DEVICES = 50

const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

/** Completes `n` handshakes as `identity`, each from a new socket (a new source port). */
async function openSessions(server: PeerAddress, identity: string, key: Uint8Array, n: number, progress: { done: number; failed: number }): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++
      const c = await RawDtlsClient.open(server)
      try {
        await c.handshake({ identity, key, retransmitFinalMs: 1000 })
        progress.done++
      } catch (err) {
        if (process.env.DEBUG_FLOOD) console.log(String(err))
        progress.failed++
      } finally {
        c.close()
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8')
const keyOf = (id: string): Buffer => enc(`key-of-${id}`)

describe('one identity opening 2,000 sessions', () => {
  it('holds one session at the end, while 50 other devices handshake and get an answer', async () => {
    const devices = Array.from({ length: DEVICES }, (_, i) => `device-${i}`)
    // A global session cap below what the attacker opens: without the per-identity cap, it
    // would take every slot and lock the devices out.
    const s = await givenServer({ maxSessions: 1000, retransmitInitialMs: 1000, pskLookup: async (id) => (id === 'attacker' || devices.includes(id) ? keyOf(id) : undefined) })
    closers.push(() => s.transport.close())
    const attack = { done: 0, failed: 0 }
    const attacking = openSessions(s.address, 'attacker', keyOf('attacker'), ATTACKER_SESSIONS, attack)
    // The devices come while the attack is in full swing.
    await until(() => attack.done >= ATTACKER_SESSIONS / 2, 120_000)
    const started = Date.now()
    const served = await Promise.all(
      devices.map(async (id) => {
        const c = await RawDtlsClient.open(s.address)
        closers.push(() => c.close())
        await c.handshake({ identity: id, key: keyOf(id), retransmitFinalMs: 1000 })
        c.sendApp(enc(`hello from ${id}`))
        return (await c.receive(undefined, 10_000)).toString()
      }),
    )
    const devicesMs = Date.now() - started
    await attacking
    const held = s.transport.sessions().filter((x) => x.identity === 'attacker').length
    console.log(`attacker: ${attack.done} sessions opened (${attack.failed} failed), ${held} held at the end; ${DEVICES} devices served in ${devicesMs} ms`)
    expect(served).toEqual(devices.map((id) => `echo:hello from ${id}`))
    expect(attack.done).toBeGreaterThanOrEqual(ATTACKER_SESSIONS * 0.95)
    expect(held).toBe(1)
    // A reused source port replaces its own session (RFC 6347 4.2.8) rather than another's.
    expect(s.transport.stats().sessions).toBe(DEVICES + 1)
    expect(s.transport.stats().sessionsReplaced).toBeGreaterThan(attack.done * 0.9)
  }, 300_000)

  it('through the server daemon: the 50 others register (CoAP POST /rd) and the attacker keeps one session', async () => {
    const store = createInMemorySecurityStore()
    const put = (endpoint: string) => store.put({ endpoint, bootstrap: { uri: 'coaps://127.0.0.1:1', identity: `bs-${endpoint}`, key: keyOf(`bs-${endpoint}`) }, server: { uri: 'coaps://127.0.0.1:2', identity: endpoint, key: keyOf(endpoint) } })
    put('attacker')
    const devices = Array.from({ length: DEVICES }, (_, i) => `reg-device-${i}`)
    devices.forEach(put)
    // The daemon's production transport (createDaemonTransport), with its default limits.
    const transport = createDaemonTransport({ side: 'server', security: store, logger: silentLogger(), port: 0 })
    const daemon: ServerDaemon = createServerDaemon({ security: store, transport, logger: silentLogger(), config: {} })
    const { address } = await daemon.start()
    closers.push(() => daemon.stop())
    const attack = { done: 0, failed: 0 }
    await openSessions(address, 'attacker', keyOf('attacker'), ATTACKER_SESSIONS, attack)
    const attackerHeld = () => (transport as DtlsTransport).sessions().filter((x) => x.identity === 'attacker')
    expect(attackerHeld()).toHaveLength(1)
    // The attacker's sockets are closed: a device may be given the held session's source port, and
    // its ClientHello then replaces that session (RFC 6347 4.2.8), as a rebooted device's should.
    const heldPort = attackerHeld()[0].peer.port
    const devicePorts: number[] = []
    const started = Date.now()
    const codes = await Promise.all(
      devices.map(async (ep, i) => {
        const c = await RawDtlsClient.open(address)
        devicePorts.push(c.port)
        closers.push(() => c.close())
        await c.handshake({ identity: ep, key: keyOf(ep), retransmitFinalMs: 1000 })
        const query = [`ep=${ep}`, 'lt=300', 'lwm2m=1.1', 'b=U']
        const options: CoapOption[] = [
          { number: OptionNumber.URI_PATH, value: enc('rd') },
          { number: OptionNumber.CONTENT_FORMAT, value: Buffer.from([40]) },
          ...query.map((q) => ({ number: OptionNumber.URI_QUERY, value: enc(q) })),
        ]
        c.sendApp(Buffer.from(encodeMessage({ type: 'CON', code: '0.02', messageId: 1000 + i, token: randomBytes(4), options, payload: enc('</3/0>') })))
        return decodeMessage(await c.receive(undefined, 10_000)).code
      }),
    )
    const devicesMs = Date.now() - started
    const stats = daemon.stats()
    console.log(`daemon: attacker opened ${attack.done} sessions (${attack.failed} failed); sessions at the end ${stats.sessions}; ${DEVICES} registrations in ${devicesMs} ms`)
    expect(codes).toEqual(devices.map(() => '2.01'))
    expect(stats.registrations).toBe(DEVICES)
    expect(attack.done).toBeGreaterThanOrEqual(ATTACKER_SESSIONS * 0.95)
    // 50 devices plus the attacker's one (unless a device took over its port).
    const replacedByDevice = devicePorts.includes(heldPort)
    expect(attackerHeld()).toHaveLength(replacedByDevice ? 0 : 1)
    expect(stats.sessions).toBe(DEVICES + (replacedByDevice ? 0 : 1))
  }, 300_000)
})
