/**
 * Attacks on the DTLS server's protocol handling, driven by the hand-built client: forged epoch-0
 * records, undecryptable epoch-1 records, identities that are not UTF-8, resent flights, the
 * encrypt_then_mac negotiation and the per-address and per-identity limits.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { CipherSuite } from '../../src/transport/dtls/index.js'
import { HandshakeType, serializeHandshake } from '../../src/transport/dtls/handshake.js'
import { ContentType, DTLS_1_2, MAX_SEQ, parseRecords, serializeRecord } from '../../src/transport/dtls/record.js'
import { RawDtlsClient } from './dtls-raw-client.js'
import { givenServer, IDENTITY, KEY, until, type GivenServer } from './dtls-helpers.js'

const CCM_8 = CipherSuite.TLS_PSK_WITH_AES_128_CCM_8
const CBC = CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256

const open: Array<{ close(): unknown }> = []
afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

async function server(options: Parameters<typeof givenServer>[0] = {}): Promise<GivenServer> {
  const s = await givenServer(options)
  open.push(s.transport)
  return s
}

async function client(s: GivenServer, localAddress?: string): Promise<RawDtlsClient> {
  const c = await RawDtlsClient.open(s.address, localAddress)
  open.push(c)
  return c
}

/** ClientHello, HelloVerifyRequest, ClientHello(cookie): leaves a half-open handshake. */
async function cookieExchange(c: RawDtlsClient): Promise<Buffer> {
  const random = randomBytes(32)
  const hello = (cookie: Buffer, seq: number) =>
    c.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: seq, body: RawDtlsClient.clientHello(random, cookie, [CCM_8], true) }))
  c.send(hello(Buffer.alloc(0), 0))
  const hvr = parseRecords(await c.next())[0].fragment
  c.send(hello(Buffer.from(hvr.subarray(15, 15 + hvr[14])), 1))
  return c.next()
}

async function echoes(c: RawDtlsClient, text: string): Promise<void> {
  c.sendApp(Buffer.from(text))
  expect((await c.receive()).toString()).toBe(`echo:${text}`)
}

describe('forged and undecryptable records during the handshake', () => {
  it('an unauthenticated epoch-0 record with a huge sequence number does not shut out the real ones', async () => {
    const s = await server()
    const c = await client(s)
    const forged = serializeRecord({ type: ContentType.applicationData, version: DTLS_1_2, epoch: 0, seq: MAX_SEQ - 1, fragment: Buffer.from('x') })
    // The forgery goes first; the client's ClientKeyExchange (record 2) must still count.
    await c.handshake({ identity: IDENTITY, key: KEY, editFinalFlight: (records) => [forged, ...records] })
    await echoes(c, 'after-forgery')
  })

  it('discards an epoch-1 handshake record that does not decrypt, and completes with the real Finished', async () => {
    for (const suite of [CCM_8, CBC]) {
      // CBC here is MAC-then-encrypt (the raw client offers no encrypt_then_mac), opt-in.
      const s = await server({ cbcMacThenEncrypt: true })
      const c = await client(s)
      const garbage = serializeRecord({ type: ContentType.handshake, version: DTLS_1_2, epoch: 1, seq: 0, fragment: randomBytes(64) })
      await c.handshake({ identity: IDENTITY, key: KEY, suites: [suite], editFinalFlight: (records) => [...records.slice(0, -1), garbage, records[records.length - 1]] })
      await echoes(c, 'kept')
      expect(s.transport.stats()).toMatchObject({ handshakesFailed: 0, handshakesCompleted: 1 })
    }
  })

  it('discards an undecryptable epoch-1 handshake record in a datagram of its own', async () => {
    const s = await server()
    const c = await client(s)
    const garbage = serializeRecord({ type: ContentType.handshake, version: DTLS_1_2, epoch: 1, seq: 0, fragment: randomBytes(48) })
    // ClientKeyExchange + ChangeCipherSpec, then the garbage alone, then the real Finished.
    await c.handshake({ identity: IDENTITY, key: KEY, finalFlightDatagrams: (r) => [r.slice(0, -1), [garbage], [r[r.length - 1]]] })
    await echoes(c, 'kept')
  })

  it('answers a wrong key at once when its Finished came with its ClientKeyExchange', async () => {
    const s = await server()
    const c = await client(s)
    await expect(c.handshake({ identity: IDENTITY, key: Buffer.from('wrong-key') })).rejects.toThrow('alert 40')
    // ClientHello, ClientHello with cookie, the final flight: no repetition was needed.
    expect(c.sent).toHaveLength(3)
    expect(s.transport.stats()).toMatchObject({ sessions: 0, handshakes: 0, handshakesFailed: 1 })
  })

  it('answers a wrong key whose Finished came alone only once the client repeats its flight', async () => {
    const s = await server()
    const c = await client(s)
    const split = (r: Buffer[]) => [[r[r.length - 1]], r.slice(0, -1)] // Finished first, on its own
    await expect(c.handshake({ identity: IDENTITY, key: Buffer.from('wrong-key'), finalFlightDatagrams: split, retransmitFinalMs: 300 })).rejects.toThrow('alert 40')
    // ClientHello x2, then the flight twice (two datagrams each).
    expect(c.sent).toHaveLength(6)
    expect(s.transport.stats()).toMatchObject({ sessions: 0, handshakes: 0, handshakesFailed: 1 })
  })
})

describe('PSK identities are compared as bytes', () => {
  const replacement = '\ufffd'
  const keys = new Map([
    [replacement, KEY],
    ['a', KEY],
    ['gerät-ü', KEY],
  ])

  it('refuses bytes that are not UTF-8 although their lossy decoding is a known identity', async () => {
    const s = await server({ pskLookup: async (id) => keys.get(id) })
    // 0xff decodes lossily to U+FFFD, which is a known identity.
    await expect((await client(s)).handshake({ identity: Buffer.from([0xff]), key: KEY })).rejects.toThrow('alert 40')
    await expect((await client(s)).handshake({ identity: Buffer.from([0xc3]), key: KEY })).rejects.toThrow('alert 40')
    // A byte-order mark is part of the identity, not decoration.
    await expect((await client(s)).handshake({ identity: Buffer.from([0xef, 0xbb, 0xbf, 0x61]), key: KEY })).rejects.toThrow('alert 40')
    const log = s.lines.join('')
    expect(log).toContain('hex:ff')
    expect(log).toContain('not UTF-8')
    expect(s.transport.stats()).toMatchObject({ sessions: 0, handshakesFailed: 3, unknownIdentities: 3 })
  })

  it('accepts the UTF-8 identities themselves, U+FFFD included', async () => {
    const s = await server({ pskLookup: async (id) => keys.get(id) })
    for (const id of [replacement, 'a', 'gerät-ü']) {
      const c = await client(s)
      await c.handshake({ identity: id, key: KEY })
      await echoes(c, id)
      expect(s.received.at(-1)?.identity).toBe(id)
    }
  })
})

describe('resent final flight', () => {
  it('carries fresh record numbers each time, and the same Finished', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    const flights = [parseRecords(c.serverFinalFlight!)]
    const cke = parseRecords(c.sent[c.sent.length - 1]).find((r) => r.type === ContentType.handshake && r.epoch === 0)!
    for (let i = 0; i < 2; i++) {
      // The client repeats its ClientKeyExchange (fresh record numbers): our flight was lost.
      c.send(c.plain(ContentType.handshake, cke.fragment))
      flights.push(parseRecords(await c.next(2000)))
      if (i === 0) await new Promise((r) => setTimeout(r, 300)) // resends are rate-limited to one per 250 ms
    }
    for (const f of flights) expect(f.map((r) => [r.type, r.epoch])).toEqual([[ContentType.changeCipherSpec, 0], [ContentType.handshake, 1]])
    const ccsSeqs = flights.map((f) => f[0].seq)
    const finSeqs = flights.map((f) => f[1].seq)
    expect(new Set(ccsSeqs).size).toBe(3)
    expect(new Set(finSeqs).size).toBe(3)
    const finished = flights.map((f) => c.open(f[1])?.toString('hex'))
    expect(finished[0]).toBeDefined()
    expect(new Set(finished).size).toBe(1)
    await echoes(c, 'still-in-order')
  })
})

describe('encrypt_then_mac negotiation', () => {
  it('echoes encrypt_then_mac for CBC when offered, never for CCM_8, and uses it', async () => {
    const s = await server({ cbcMacThenEncrypt: true })
    const cases: Array<[number, boolean, boolean]> = [
      [CBC, true, true],
      [CBC, false, false],
      [CCM_8, true, false],
    ]
    for (const [suite, offer, expected] of cases) {
      const c = await client(s)
      expect(await c.handshake({ identity: IDENTITY, key: KEY, suites: [suite], encryptThenMac: offer })).toBe(suite)
      expect(c.encryptThenMac).toBe(expected)
      await echoes(c, `etm-${suite}-${offer}`)
      expect(s.transport.sessions().find((x) => x.peer.port === c.port)).toMatchObject({ suite, encryptThenMac: expected })
    }
  })

  it('by default (cbcMacThenEncrypt off) offers CBC only with encrypt_then_mac', async () => {
    const s = await server()
    await expect((await client(s)).handshake({ identity: IDENTITY, key: KEY, suites: [CBC] })).rejects.toThrow()
    expect(await (await client(s)).handshake({ identity: IDENTITY, key: KEY, suites: [CBC, CCM_8] })).toBe(CCM_8)
    const c = await client(s)
    expect(await c.handshake({ identity: IDENTITY, key: KEY, suites: [CBC], encryptThenMac: true })).toBe(CBC)
    expect(c.encryptThenMac).toBe(true)
  })
})

describe('per-address and per-identity limits', () => {
  it('caps handshakes in progress per address; other addresses are still served', async () => {
    const s = await server({ maxHandshakesPerAddress: 3 })
    for (let i = 0; i < 3; i++) await cookieExchange(await client(s))
    expect(s.transport.stats().handshakes).toBe(3)
    await expect(cookieExchange(await client(s))).rejects.toThrow('no datagram')
    expect(s.transport.stats().handshakes).toBe(3)
    // Another loopback address is another host.
    const other = await client(s, '127.0.0.2')
    await other.handshake({ identity: IDENTITY, key: KEY })
    await echoes(other, 'other-host')
  })

  it('drops a handshake that sends no ClientKeyExchange sooner than one waiting on its PSK lookup', async () => {
    const slow = async (id: string) => {
      await new Promise((r) => setTimeout(r, 600))
      return id === IDENTITY ? KEY : undefined
    }
    const s = await server({ keyExchangeTimeoutMs: 200, handshakeTimeoutMs: 20_000, retransmitInitialMs: 10_000, pskLookup: slow })
    const idle = await client(s)
    const started = Date.now()
    await cookieExchange(idle)
    await until(() => s.transport.stats().handshakes === 0, 5000)
    expect(Date.now() - started).toBeLessThan(5000)
    // Past its ClientKeyExchange a handshake has the full budget, longer than 200 ms.
    const busy = await client(s)
    await busy.handshake({ identity: IDENTITY, key: KEY, retransmitFinalMs: 2000 })
    await echoes(busy, 'slow-store')
  })

  it('ends the older session of an identity when it completes a new one (a device that rebooted)', async () => {
    const s = await server()
    const before = await client(s)
    await before.handshake({ identity: IDENTITY, key: KEY })
    const after = await client(s)
    await after.handshake({ identity: IDENTITY, key: KEY })
    await until(() => s.ended.length === 1)
    expect(s.ended[0]).toMatchObject({ identity: IDENTITY, reason: 'replaced' })
    expect(s.ended[0].peer.port).toBe(before.port)
    // The old peer is told (close_notify), the new one is served.
    expect([...(await before.receive(ContentType.alert))]).toEqual([1, 0])
    await echoes(after, 'new-session')
    expect(s.transport.sessions().map((x) => x.peer.port)).toEqual([after.port])
    expect(s.transport.stats()).toMatchObject({ sessions: 1, sessionsReplaced: 1 })
  })

  it('keeps up to maxSessionsPerIdentity sessions of one identity', async () => {
    const s = await server({ maxSessionsPerIdentity: 2 })
    const cs = [await client(s), await client(s), await client(s)]
    for (const c of cs) await c.handshake({ identity: IDENTITY, key: KEY })
    await until(() => s.ended.length === 1)
    expect(s.ended[0].peer.port).toBe(cs[0].port)
    expect(s.transport.sessions().map((x) => x.peer.port).sort()).toEqual([cs[1].port, cs[2].port].sort())
  })
})
