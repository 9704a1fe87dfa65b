import { afterEach, describe, expect, it } from 'vitest'
import { CipherSuite } from '../../src/transport/dtls/index.js'
import { HandshakeType, serializeHandshake } from '../../src/transport/dtls/handshake.js'
import { ContentType, parseRecords } from '../../src/transport/dtls/record.js'
import { RawDtlsClient } from './dtls-raw-client.js'
import { givenServer, IDENTITY, KEY, until, type GivenServer } from './dtls-helpers.js'
import { randomBytes } from 'node:crypto'

const open: Array<{ close(): unknown }> = []
afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

async function server(options: Parameters<typeof givenServer>[0] = {}): Promise<GivenServer> {
  const s = await givenServer(options)
  open.push(s.transport)
  return s
}

async function client(s: GivenServer): Promise<RawDtlsClient> {
  const c = await RawDtlsClient.open(s.address)
  open.push(c)
  return c
}

/** Runs ClientHello, HelloVerifyRequest, ClientHello(cookie); resolves with the server's flight. */
async function cookieExchange(c: RawDtlsClient): Promise<Buffer> {
  const random = randomBytes(32)
  const hello = (cookie: Buffer, seq: number) =>
    c.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: seq, body: RawDtlsClient.clientHello(random, cookie, [0xc0a8], true) }))
  c.send(hello(Buffer.alloc(0), 0))
  const hvr = parseRecords(await c.next())[0].fragment
  c.send(hello(Buffer.from(hvr.subarray(15, 15 + hvr[14])), 1))
  return c.next()
}

describe('DTLS server handshake', () => {
  for (const [name, suite] of Object.entries(CipherSuite)) {
    for (const ems of [true, false]) {
      it(`completes a handshake with ${name} (extended master secret ${ems ? 'on' : 'off'}) and echoes data`, async () => {
        // The raw client offers no encrypt_then_mac: its CBC is MAC-then-encrypt, which is opt-in.
        const s = await server({ cbcMacThenEncrypt: true })
        const c = await client(s)
        expect(await c.handshake({ identity: IDENTITY, key: KEY, suites: [suite], ems })).toBe(suite)
        c.sendApp(Buffer.from('ping'))
        expect((await c.receive()).toString()).toBe('echo:ping')
        expect(s.received[0].identity).toBe(IDENTITY)
        expect(s.transport.stats()).toMatchObject({ sessions: 1, handshakes: 0, handshakesCompleted: 1 })
      })
    }
  }

  it('prefers CCM_8 when the client offers both suites in either order', async () => {
    const s = await server()
    const c = await client(s)
    const suites = [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_PSK_WITH_AES_128_CCM_8]
    expect(await c.handshake({ identity: IDENTITY, key: KEY, suites })).toBe(CipherSuite.TLS_PSK_WITH_AES_128_CCM_8)
  })

  it('reassembles a fragmented ClientKeyExchange sent in reverse order, Finished first', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY, fragmentClientKeyExchange: 3, reorderFinalFlight: true })
    c.sendApp(Buffer.from('x'))
    expect((await c.receive()).toString()).toBe('echo:x')
  })

  it('retransmits its flight when the first one is lost', async () => {
    const s = await server({ retransmitInitialMs: 30 })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY, dropFirstServerFlight: true })
    expect(s.transport.stats().sessions).toBe(1)
  })

  it('cannot complete a handshake with a wrong key: handshake_failure alert, no session, identity logged but not the key', async () => {
    const s = await server()
    const c = await client(s)
    const wrong = Buffer.from('not-the-right-key')
    await expect(c.handshake({ identity: IDENTITY, key: wrong })).rejects.toThrow('alert 40')
    expect(s.transport.stats()).toMatchObject({ sessions: 0, handshakes: 0, connections: 0, handshakesFailed: 1 })
    const log = s.lines.join('')
    expect(log).toContain(IDENTITY)
    expect(log).toContain('DTLS handshake failed')
    expect(log).not.toContain(KEY.toString())
    expect(log).not.toContain(KEY.toString('hex'))
    expect(log).not.toContain(wrong.toString())
  })

  it('cannot complete a handshake with an unknown identity: handshake_failure alert naming it in the log', async () => {
    const s = await server()
    const c = await client(s)
    await expect(c.handshake({ identity: 'stranger', key: KEY })).rejects.toThrow('alert 40')
    expect(s.transport.stats()).toMatchObject({ sessions: 0, connections: 0 })
    expect(s.lines.join('')).toMatch(/stranger.*unknown PSK identity|unknown PSK identity.*stranger/)
  })

  it('fails the handshake when the PSK lookup throws', async () => {
    const s = await server({ pskLookup: async () => Promise.reject(new Error('store down')) })
    const c = await client(s)
    await expect(c.handshake({ identity: IDENTITY, key: KEY })).rejects.toThrow('alert 40')
  })

  it('fails the handshake when the PSK lookup never answers, and serves the peer again afterwards', async () => {
    let hang = true
    const s = await server({ handshakeTimeoutMs: 100, pskLookup: (id) => (hang ? new Promise(() => undefined) : Promise.resolve(id === IDENTITY ? KEY : undefined)) })
    const c = await client(s)
    await expect(c.handshake({ identity: IDENTITY, key: KEY })).rejects.toThrow('alert 40')
    await until(() => s.transport.stats().connections === 0)
    hang = false
    await c.handshake({ identity: IDENTITY, key: KEY })
  })

  it('rejects invalid options at creation', async () => {
    const { createDtlsTransport } = await import('../../src/transport/dtls/index.js')
    const base = { logger: (await import('./dtls-helpers.js')).memoryLogger().logger, pskLookup: async () => undefined }
    expect(() => createDtlsTransport({ ...base, maxSessions: -1 })).toThrow(expect.objectContaining({ code: 'LWC_DTLS_OPTIONS' }))
    expect(() => createDtlsTransport({ ...base, retransmitInitialMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'LWC_DTLS_OPTIONS' }))
    expect(() => createDtlsTransport({ ...base, identityHint: 'x'.repeat(200) })).toThrow(expect.objectContaining({ code: 'LWC_DTLS_OPTIONS' }))
  })

  it('refuses a client that offers no suite we support', async () => {
    const s = await server()
    const c = await client(s)
    await expect(c.handshake({ identity: IDENTITY, key: KEY, suites: [0xc0a4] })).rejects.toThrow()
    expect(s.transport.stats().connections).toBe(0)
  })

  it('answers a handshake message out of order with unexpected_message and forgets the peer', async () => {
    const s = await server()
    const c = await client(s)
    await cookieExchange(c)
    c.send(c.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 2, body: Buffer.alloc(12) })))
    const [alert] = parseRecords(await c.next())
    expect([alert.type, ...alert.fragment]).toEqual([ContentType.alert, 2, 10])
    expect(s.transport.stats()).toMatchObject({ connections: 0, handshakes: 0 })
  })

  it('sends no ServerKeyExchange by default and one with the identity hint when configured', async () => {
    const plain = await server()
    const types = (d: Buffer) => parseRecords(d).map((r) => r.fragment[0])
    expect(types(await cookieExchange(await client(plain)))).toEqual([HandshakeType.serverHello, HandshakeType.serverHelloDone])
    const hinted = await server({ identityHint: 'lwchain' })
    const flight = await cookieExchange(await client(hinted))
    expect(types(flight)).toEqual([HandshakeType.serverHello, HandshakeType.serverKeyExchange, HandshakeType.serverHelloDone])
    expect(parseRecords(flight)[1].fragment.subarray(12).toString()).toBe('\x00\x07lwchain')
    const c = await client(hinted)
    await c.handshake({ identity: IDENTITY, key: KEY })
  })

  it('drops a handshake that does not finish in time', async () => {
    const s = await server({ handshakeTimeoutMs: 400, retransmitInitialMs: 1000 })
    const c = await client(s)
    await cookieExchange(c)
    expect(s.transport.stats().handshakes).toBe(1)
    await until(() => s.transport.stats().handshakes === 0 && s.transport.stats().connections === 0)
  })
})

describe('DTLS server resource limits', () => {
  it('allocates no state for a flood of ClientHellos without cookies', async () => {
    const s = await server()
    const c = await client(s)
    for (let i = 0; i < 500; i++) {
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5)) // pace: loopback drops bursts
      c.send(c.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 0, body: RawDtlsClient.clientHello(randomBytes(32), Buffer.alloc(0), [0xc0a8], true) })))
    }
    await until(() => s.transport.stats().helloVerifyRequests >= 400).catch(() => {
      throw new Error(JSON.stringify(s.transport.stats()))
    })
    expect(s.transport.stats()).toMatchObject({ connections: 0, handshakes: 0, sessions: 0 })
  })

  it('ignores a cookie made for another address', async () => {
    const s = await server()
    const a = await client(s)
    const b = await client(s)
    const random = randomBytes(32)
    a.send(a.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 0, body: RawDtlsClient.clientHello(random, Buffer.alloc(0), [0xc0a8], true) })))
    const hvr = parseRecords(await a.next())[0].fragment
    const cookie = hvr.subarray(15, 15 + hvr[14])
    b.send(b.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 1, body: RawDtlsClient.clientHello(random, cookie, [0xc0a8], true) })))
    const answer = parseRecords(await b.next())[0].fragment
    expect(answer[0]).toBe(HandshakeType.helloVerifyRequest)
    expect(s.transport.stats().handshakes).toBe(0)
  })

  it('refuses handshakes beyond maxHandshakes and sessions beyond maxSessions', async () => {
    const keys = new Map([
      [IDENTITY, KEY],
      ['device-2', KEY],
    ])
    const s = await server({ maxHandshakes: 1, maxSessions: 1, pskLookup: async (id) => keys.get(id) })
    const first = await client(s)
    await first.handshake({ identity: IDENTITY, key: KEY })
    // One handshake in progress takes the only handshake slot: the next client gets no answer.
    const halfOpen = await client(s)
    await cookieExchange(halfOpen)
    await expect((await client(s)).handshake({ identity: 'device-2', key: KEY })).rejects.toThrow('no datagram')
    halfOpen.send(halfOpen.plain(ContentType.alert, Buffer.from([2, 40]))) // it gives up
    await until(() => s.transport.stats().handshakes === 0)
    // Another identity finds no room for a session.
    await expect((await client(s)).handshake({ identity: 'device-2', key: KEY })).rejects.toThrow('alert 40')
    expect(s.lines.join('')).toContain('too many sessions')
    // The same identity from a new port (a rebooted device) replaces its session although the server is full.
    const rebooted = await client(s)
    await rebooted.handshake({ identity: IDENTITY, key: KEY })
    expect(s.transport.sessions().map((x) => x.peer.port)).toEqual([rebooted.port])
    expect(s.transport.stats()).toMatchObject({ sessions: 1, connections: 1 })
  })
})

describe('DTLS server sessions', () => {
  it('drops a replayed application record', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    const d = c.sendApp(Buffer.from('once'))
    await c.receive()
    c.send(d)
    c.send(d)
    c.sendApp(Buffer.from('twice'))
    await c.receive()
    expect(s.received.map((r) => Buffer.from(r.data).toString())).toEqual(['once', 'twice'])
  })

  it('drops a record with a bad MAC and keeps the session', async () => {
    const s = await server({ cbcMacThenEncrypt: true })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY, suites: [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256] })
    const d = Buffer.from(c.sendApp(Buffer.from('good')))
    await c.receive()
    d[d.length - 1] ^= 1
    d.writeUInt16BE(d.readUInt16BE(9) + 5, 9) // fresh sequence number, corrupted body
    c.send(d)
    c.sendApp(Buffer.from('still'))
    expect((await c.receive()).toString()).toBe('echo:still')
    expect(s.received).toHaveLength(2)
  })

  it('replaces the session of a peer that completes a new handshake', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    await c.handshake({ identity: IDENTITY, key: KEY })
    expect(s.ended.map((e) => e.reason)).toEqual(['replaced'])
    expect(s.transport.stats()).toMatchObject({ sessions: 1, connections: 1 })
    c.sendApp(Buffer.from('new'))
    expect((await c.receive()).toString()).toBe('echo:new')
  })

  it('keeps the old session usable while a new handshake is in progress', async () => {
    const s = await server({ retransmitInitialMs: 5000 })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    c.send(c.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 0, body: RawDtlsClient.clientHello(randomBytes(32), Buffer.alloc(0), [0xc0a8], true) })))
    await c.next()
    c.sendApp(Buffer.from('old'))
    expect((await c.receive()).toString()).toBe('echo:old')
  })

  it('expires idle sessions', async () => {
    const s = await server({ sessionIdleTimeoutMs: 80 })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    await until(() => s.ended.length === 1)
    expect(s.ended[0]).toMatchObject({ identity: IDENTITY, reason: 'expired' })
    expect(s.transport.stats().connections).toBe(0)
    await expect(s.transport.send({ address: '127.0.0.1', port: c.port }, Buffer.from('x'))).rejects.toMatchObject({ code: 'LWC_DTLS_NO_SESSION' })
  })

  it('sends close_notify on closeSession and forgets the peer', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    expect(s.transport.sessions()).toEqual([{ peer: { address: '127.0.0.1', port: c.port }, identity: IDENTITY, lastActivity: expect.any(Number), suite: CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, encryptThenMac: false }])
    s.transport.closeSession({ address: '127.0.0.1', port: c.port })
    expect([...(await c.receive(ContentType.alert))]).toEqual([1, 0])
    expect(s.ended[0]).toMatchObject({ identity: IDENTITY, reason: 'revoked' })
    expect(s.transport.stats()).toMatchObject({ sessions: 0, connections: 0 })
    expect(s.transport.sessions()).toEqual([])
  })

  it('answers a close_notify with close_notify and ends the session', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    c.send(c.protect(ContentType.alert, Buffer.from([1, 0])))
    expect([...(await c.receive(ContentType.alert))]).toEqual([1, 0])
    await until(() => s.ended.length === 1)
    expect(s.ended[0].reason).toBe('closed')
  })

  it('resends its final flight when the client repeats its last flight', async () => {
    const s = await server({ retransmitInitialMs: 10 })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    const finalFlight = c.sent[c.sent.length - 1]
    await new Promise((r) => setTimeout(r, 20))
    // Same records again with fresh numbers would be a real retransmission; the epoch-0 part is
    // enough to trigger ours and is not a replay (its numbers are new to the session).
    const records = parseRecords(finalFlight)
    const cke = records.find((r) => r.type === ContentType.handshake && r.epoch === 0)!
    c.send(c.plain(ContentType.handshake, cke.fragment))
    const again = parseRecords(await c.next())
    expect(again.map((r) => r.type)).toEqual([ContentType.changeCipherSpec, ContentType.handshake])
  })

  it('rejects send to a peer without a session, and of more than one record', async () => {
    const s = await server()
    await expect(s.transport.send({ address: '127.0.0.1', port: 9 }, Buffer.from('x'))).rejects.toMatchObject({ code: 'LWC_DTLS_NO_SESSION' })
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    const peer = { address: '127.0.0.1', port: c.port }
    await expect(s.transport.send(peer, Buffer.alloc(16385))).rejects.toMatchObject({ code: 'LWC_DTLS_TOO_LARGE' })
    await s.transport.send(peer, Buffer.alloc(16384, 7))
    expect(await c.receive()).toEqual(Buffer.alloc(16384, 7))
  })

  it('sends close_notify to every peer on close', async () => {
    const s = await server()
    const c = await client(s)
    await c.handshake({ identity: IDENTITY, key: KEY })
    await s.transport.close()
    expect([...(await c.receive(ContentType.alert))]).toEqual([1, 0])
    expect(s.ended[0].reason).toBe('shutdown')
  })
})
