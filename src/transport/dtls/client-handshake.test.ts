import { describe, expect, it } from 'vitest'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import { CipherSuite, type CipherSuiteId } from './cipher.js'
import { ClientHandshake, type ClientStep } from './client-handshake.js'
import { HandshakeType, parseHandshakeFragments, serializeHandshake, type HandshakeMessage } from './handshake.js'
import { HandshakeState } from './handshake-state.js'
import { ExtensionType, parseClientHello, parsePskClientKeyExchange, serializeHelloVerifyRequest, serializeServerHello as serverHelloBody } from './hello.js'
import { ContentType, DTLS_1_0, DTLS_1_2, parseRecords, serializeRecord, type DtlsRecord } from './record.js'
import { clientFinishedValid, deriveKeys, serverFinished, serverHelloFlight } from './server-handshake.js'

const IDENTITY = Buffer.from('device-7')
const PSK = Buffer.from('0123456789abcdef', 'hex')
const COOKIE = Buffer.alloc(16, 0xc0)

/**
 * The server's half of the handshake, scripted from the server's own building blocks
 * (HandshakeState, serverHelloFlight, deriveKeys, clientFinishedValid, serverFinished), so the
 * client is checked against the code that interoperates with OpenSSL, GnuTLS and libcoap.
 */
class ScriptedServer {
  hs?: HandshakeState
  private seq0 = 0
  private seq1 = 0
  finalFlight?: Buffer

  constructor(private readonly psk = PSK, private readonly options: { ems?: boolean; hint?: Buffer } = {}) {}

  hvr(cookie = COOKIE): Buffer {
    const hvr = serializeHandshake({ msgType: HandshakeType.helloVerifyRequest, messageSeq: 0, body: serializeHelloVerifyRequest(cookie) })
    return serializeRecord({ type: ContentType.handshake, version: DTLS_1_0, epoch: 0, seq: this.seq0++, fragment: hvr })
  }

  /** Answers a cookie-bearing ClientHello with ServerHello, [ServerKeyExchange], ServerHelloDone. */
  serverHello(clientDatagram: Buffer, suite: CipherSuiteId = CipherSuite.TLS_PSK_WITH_AES_128_CCM_8): Buffer {
    const [m] = messagesOf(clientDatagram)
    expect(m.msgType).toBe(HandshakeType.clientHello)
    const hello = parseClientHello(m.body)
    const ems = (this.options.ems ?? true) && hello.extensions.has(ExtensionType.extendedMasterSecret)
    this.hs = new HandshakeState(hello, serializeHandshake(m), m.messageSeq, 0, suite, ems, true, 1000)
    return this.plain(serverHelloFlight(this.hs, this.options.hint))
  }

  /** The same flight again, fresh record numbers (what the server's timer sends). */
  resendServerHello(): Buffer {
    return this.plain(this.hs!.transcript.slice(1))
  }

  /** Takes the client's final flight; answers CCS + Finished once the client Finished verified. */
  finished(clientDatagram: Buffer): Buffer {
    const hs = this.hs!
    const records = parseRecords(clientDatagram)
    expect(records.map((r) => [r.type, r.epoch])).toEqual([
      [ContentType.handshake, 0],
      [ContentType.changeCipherSpec, 0],
      [ContentType.handshake, 1],
    ])
    const [cke] = parseHandshakeFragments(records[0].fragment)
    expect(Buffer.from(parsePskClientKeyExchange(cke.body))).toEqual(IDENTITY)
    hs.transcript.push(serializeHandshake(cke))
    deriveKeys(hs, this.psk)
    const plain = hs.read!.decrypt(ContentType.handshake, DTLS_1_2, 1, records[2].seq, records[2].fragment)
    expect(plain).toBeDefined()
    const [fin] = parseHandshakeFragments(plain!)
    expect(clientFinishedValid(hs, fin.body)).toBe(true)
    const ours = serverFinished(hs, fin)
    const ccs = serializeRecord({ type: ContentType.changeCipherSpec, version: DTLS_1_2, epoch: 0, seq: this.seq0++, fragment: Buffer.from([1]) })
    this.finalFlight = Buffer.concat([ccs, this.protect(ContentType.handshake, ours)])
    return this.finalFlight
  }

  protect(type: number, plaintext: Uint8Array): Buffer {
    const seq = this.seq1++
    return serializeRecord({ type, version: DTLS_1_2, epoch: 1, seq, fragment: this.hs!.write!.encrypt(type, DTLS_1_2, 1, seq, plaintext) })
  }

  open(record: DtlsRecord): Buffer | undefined {
    return this.hs!.read!.decrypt(record.type, record.version, 1, record.seq, record.fragment)
  }

  private plain(messages: Buffer[]): Buffer {
    return Buffer.concat(messages.map((m) => serializeRecord({ type: ContentType.handshake, version: DTLS_1_2, epoch: 0, seq: this.seq0++, fragment: m })))
  }
}

/** The handshake messages of a datagram's epoch-0 handshake records. */
function messagesOf(datagram: Buffer): HandshakeMessage[] {
  return parseRecords(datagram)
    .filter((r) => r.type === ContentType.handshake && r.epoch === 0)
    .flatMap((r) => parseHandshakeFragments(r.fragment))
    .map((f) => ({ msgType: f.msgType, messageSeq: f.messageSeq, body: f.body }))
}

function client(cipherSuites: CipherSuiteId[] = [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]): ClientHandshake {
  return new ClientHandshake({ identity: IDENTITY, psk: PSK, cipherSuites })
}

/** Runs the cookie exchange and returns the step that carries the cookie-bearing ClientHello. */
function throughCookie(c: ClientHandshake, server: ScriptedServer): ClientStep {
  c.start()
  const step = c.receive(server.hvr())
  expect(step.newFlight).toBe(true)
  return step
}

/** A full handshake; returns the client's final step. */
function handshake(c: ClientHandshake, server: ScriptedServer, suite?: CipherSuiteId): ClientStep {
  const hello2 = throughCookie(c, server).send[0]
  const final = c.receive(server.serverHello(hello2, suite))
  expect(final.newFlight).toBe(true)
  return c.receive(server.finished(final.send[0]))
}

describe('ClientHandshake', () => {
  it('sends a ClientHello with our suites, the renegotiation SCSV, EMS and no cookie', () => {
    const [m] = messagesOf(client().start())
    expect(m).toMatchObject({ msgType: HandshakeType.clientHello, messageSeq: 0 })
    const hello = parseClientHello(m.body)
    expect(hello.clientVersion).toBe(DTLS_1_2)
    expect(hello.cookie).toHaveLength(0)
    expect(hello.cipherSuites).toEqual([0xc0a8, 0x00ae, 0x00ff])
    expect([...hello.compressionMethods]).toEqual([0])
    expect([...hello.extensions.keys()]).toEqual([ExtensionType.extendedMasterSecret])
  })

  it('answers a HelloVerifyRequest with the same hello plus the cookie, as message 1', () => {
    const c = client()
    const first = parseClientHello(messagesOf(c.start())[0].body)
    const [m] = messagesOf(c.receive(new ScriptedServer().hvr()).send[0])
    expect(m.messageSeq).toBe(1)
    const second = parseClientHello(m.body)
    expect(Buffer.from(second.cookie)).toEqual(COOKIE)
    expect(Buffer.from(second.random)).toEqual(Buffer.from(first.random))
    expect(second.cipherSuites).toEqual(first.cipherSuites)
  })

  for (const [name, suite] of Object.entries(CipherSuite)) {
    for (const ems of [true, false]) {
      it(`completes with ${name}, ${ems ? 'with' : 'without'} extended master secret, and protects data both ways`, () => {
        const c = client()
        const server = new ScriptedServer(PSK, { ems })
        const done = handshake(c, server, suite)
        expect(done.error).toBeUndefined()
        expect(c.phase).toBe('established')
        expect(c.cipherSuite).toBe(suite)
        expect(c.usesExtendedMasterSecret).toBe(ems)
        const session = done.session!
        const up = parseRecords(session.protect(ContentType.applicationData, Buffer.from('up')))[0]
        // epoch-1 record 0 was our Finished: application data continues after it.
        expect(up.seq).toBe(1)
        expect(server.open(up)?.toString()).toBe('up')
        const down = parseRecords(server.protect(ContentType.applicationData, Buffer.from('down')))[0]
        expect(session.open(down)?.toString()).toBe('down')
        expect(session.open(down)).toBeUndefined() // a replay
      })
    }
  }

  it('accepts a ServerKeyExchange with an identity hint', () => {
    const done = handshake(client(), new ScriptedServer(PSK, { hint: Buffer.from('any hint') }))
    expect(done.session).toBeDefined()
  })

  it('works with a server that skips the cookie exchange', () => {
    const c = client()
    const server = new ScriptedServer()
    const final = c.receive(server.serverHello(c.start()))
    expect(c.receive(server.finished(final.send[0])).session).toBeDefined()
  })

  it('resends its ClientHello with fresh record numbers, and again when the HelloVerifyRequest comes twice', () => {
    const c = client()
    const server = new ScriptedServer()
    const hello2 = throughCookie(c, server).send[0]
    const resent = c.retransmit()!
    expect(messagesOf(resent)).toEqual(messagesOf(hello2))
    expect(parseRecords(resent)[0].seq).toBeGreaterThan(parseRecords(hello2)[0].seq)
    // A second HelloVerifyRequest with the same cookie answers our resent first hello.
    const again = c.receive(server.hvr())
    expect(again.newFlight).toBe(false)
    expect(messagesOf(again.send[0])).toEqual(messagesOf(hello2))
  })

  it('resends its final flight on a timer and when the server repeats its flight, and still completes', () => {
    const c = client()
    const server = new ScriptedServer()
    const final = c.receive(server.serverHello(throughCookie(c, server).send[0]))
    const lost = final.send[0]
    // Timer expiry: the same messages, fresh record numbers in both epochs.
    const byTimer = c.retransmit()!
    expect(parseRecords(byTimer).map((r) => r.seq)).toEqual(parseRecords(lost).map((r) => r.seq + (r.epoch === 0 ? 2 : 1)))
    // The server's timer repeats ServerHello..ServerHelloDone: we answer at once.
    const answer = c.receive(server.resendServerHello())
    expect(answer.newFlight).toBe(false)
    expect(answer.send).toHaveLength(1)
    expect(parseRecords(answer.send[0]).map((r) => r.type)).toEqual([ContentType.handshake, ContentType.changeCipherSpec, ContentType.handshake])
    // The server gets this copy; its Finished completes the handshake.
    expect(c.receive(server.finished(answer.send[0])).session).toBeDefined()
    expect(c.retransmit()).toBeUndefined()
  })

  it('accepts the server Finished before its ChangeCipherSpec (reordered datagrams)', () => {
    const c = client()
    const server = new ScriptedServer()
    const final = c.receive(server.serverHello(throughCookie(c, server).send[0]))
    const [ccs, fin] = parseRecords(server.finished(final.send[0])).map(serializeRecord)
    expect(c.receive(fin).session).toBeDefined()
    expect(c.receive(ccs)).toEqual({ send: [], newFlight: false })
  })

  it('hands back the records that follow the server Finished in the same datagram', () => {
    const c = client()
    const server = new ScriptedServer()
    const final = c.receive(server.serverHello(throughCookie(c, server).send[0]))
    const flight = server.finished(final.send[0])
    const done = c.receive(Buffer.concat([flight, server.protect(ContentType.applicationData, Buffer.from('early'))]))
    expect(done.rest).toHaveLength(1)
    expect(done.session!.open(done.rest![0])?.toString()).toBe('early')
  })

  it('fails with a typed error when the server aborts (wrong key: handshake_failure in clear)', () => {
    const c = client()
    const server = new ScriptedServer()
    c.receive(server.serverHello(throughCookie(c, server).send[0]))
    const alert = serializeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, seq: 9, fragment: serializeAlert(AlertLevel.fatal, AlertDescription.handshakeFailure) })
    const step = c.receive(alert)
    expect(step.error).toMatchObject({ code: 'LWC_DTLS_HANDSHAKE', shortMessage: expect.stringMatching(/handshakeFailure.*wrong PSK/) })
    expect(c.phase).toBe('failed')
    expect(c.retransmit()).toBeUndefined()
  })

  it('rejects a server Finished that does not verify, with a decrypt_error alert in epoch 1', () => {
    const c = client()
    const server = new ScriptedServer(Buffer.from('another key'))
    const final = c.receive(server.serverHello(throughCookie(c, server).send[0]))
    // The server with the other key cannot even read our Finished; a forged Finished under its
    // keys does not decrypt for us either and is dropped: the handshake just does not complete.
    const hs = server.hs!
    const records = parseRecords(final.send[0])
    hs.transcript.push(serializeHandshake({ ...parseHandshakeFragments(records[0].fragment)[0] }))
    deriveKeys(hs, Buffer.from('another key'))
    const forged = server.protect(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 3, body: Buffer.alloc(12) }))
    expect(c.receive(forged)).toEqual({ send: [], newFlight: false })
    expect(c.phase).toBe('wait_server_finished')
  })

  it('rejects a Finished that decrypts but carries the wrong verify_data', () => {
    const c = client()
    const server = new ScriptedServer()
    const final = c.receive(server.serverHello(throughCookie(c, server).send[0]))
    server.finished(final.send[0])
    const wrong = server.protect(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 3, body: Buffer.alloc(12) }))
    const step = c.receive(wrong)
    expect(step.error?.code).toBe('LWC_DTLS_HANDSHAKE')
    const [alert] = parseRecords(step.send[0])
    expect(alert).toMatchObject({ type: ContentType.alert, epoch: 1 })
    expect([...server.open(alert)!]).toEqual([AlertLevel.fatal, AlertDescription.decryptError])
  })

  it('refuses a suite it did not offer and an extension it did not ask for', () => {
    const c1 = client([CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256])
    const s1 = new ScriptedServer()
    const bad = c1.receive(s1.serverHello(throughCookie(c1, s1).send[0], CipherSuite.TLS_PSK_WITH_AES_128_CCM_8))
    expect(bad.error?.shortMessage).toMatch(/did not offer/)
    expect([...parseRecords(bad.send[0])[0].fragment]).toEqual([AlertLevel.fatal, AlertDescription.illegalParameter])

    const c2 = client()
    const withEtm = Buffer.concat([
      serverHelloBody({ random: Buffer.alloc(32, 1), cipherSuite: CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, extendedMasterSecret: false, renegotiationInfo: false }),
      Buffer.from([0x00, 0x04, 0x00, 0x16, 0x00, 0x00]), // extensions: encrypt_then_mac
    ])
    c2.start()
    const hello = serializeHandshake({ msgType: HandshakeType.serverHello, messageSeq: 0, body: withEtm })
    const step = c2.receive(serializeRecord({ type: ContentType.handshake, version: DTLS_1_2, epoch: 0, seq: 0, fragment: hello }))
    expect(step.error?.shortMessage).toMatch(/extension 22/)
    expect([...parseRecords(step.send[0])[0].fragment]).toEqual([AlertLevel.fatal, 110])
  })

  it('ignores garbage and warning alerts while it waits', () => {
    const c = client()
    c.start()
    expect(c.receive(Buffer.from('not dtls at all'))).toEqual({ send: [], newFlight: false })
    const warning = serializeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, seq: 0, fragment: serializeAlert(AlertLevel.warning, AlertDescription.closeNotify) })
    expect(c.receive(warning)).toEqual({ send: [], newFlight: false })
    expect(c.phase).toBe('wait_server_hello')
  })

  it('gives up when the server keeps changing its cookie', () => {
    const c = client()
    const server = new ScriptedServer()
    c.start()
    let step: ClientStep = { send: [], newFlight: false }
    for (let i = 1; i <= 4 && !step.error; i++) step = c.receive(server.hvr(Buffer.alloc(16, i)))
    expect(step.error?.shortMessage).toMatch(/new cookie/)
  })
})
