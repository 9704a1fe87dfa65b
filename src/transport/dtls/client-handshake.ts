import { randomBytes, timingSafeEqual } from 'node:crypto'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import { keyBlockLength, serverCiphers, type CipherSuiteId, type RecordCipher } from './cipher.js'
import { parseHelloVerifyRequest, parsePskServerKeyExchange, parseServerHello, serializeClientHello, serializePskClientKeyExchange } from './client-messages.js'
import { ClientSession } from './client-session.js'
import { DtlsError } from './errors.js'
import { HandshakeType, isWhole, parseHandshakeFragments, serializeHandshake, type HandshakeFragment, type HandshakeMessage } from './handshake.js'
import { ExtensionType } from './hello.js'
import { extendedMasterSecret, keyBlock, masterSecret, pskPremasterSecret, transcriptHash, verifyData } from './prf.js'
import { Reassembler } from './reassembler.js'
import { ContentType, DTLS_1_0, DTLS_1_2, parseRecords, serializeRecord, type DtlsRecord } from './record.js'
import { ReplayWindow } from './replay-window.js'

/** Where a client handshake stands. */
export type ClientPhase = 'wait_server_hello' | 'wait_server_hello_done' | 'wait_server_finished' | 'established' | 'failed'

/** Options of a `ClientHandshake`. */
export interface ClientHandshakeOptions {
  /** PSK identity, as sent. */
  identity: Uint8Array
  psk: Uint8Array
  /** Suites to offer, in our order of preference. */
  cipherSuites: readonly CipherSuiteId[]
}

/** What the driver must do after an input. */
export interface ClientStep {
  /** Datagrams to send now. */
  readonly send: Buffer[]
  /** We started a new flight: restart the retransmission timer at its initial value. */
  readonly newFlight: boolean
  /** Set once when the server's Finished verified. */
  readonly session?: ClientSession
  /** Records of the same datagram after the server's Finished (application data, alerts), for the session. */
  readonly rest?: DtlsRecord[]
  /** Set once when the handshake failed (any alert to send is in `send`). */
  readonly error?: DtlsError
}

/** RFC 5246 7.2.2; alert.ts lists only what the server sends. */
const UNSUPPORTED_EXTENSION = 110
/** More HelloVerifyRequests than this with a new cookie each means the server rejects our cookies. */
const MAX_COOKIE_EXCHANGES = 3

/** One record of a flight, kept as plaintext so that a resend gets fresh record numbers (RFC 6347 4.2.4). */
interface FlightRecord {
  readonly type: number
  readonly epoch: 0 | 1
  readonly payload: Buffer
}

/**
 * The client side of a DTLS 1.2 PSK handshake (RFC 6347, RFC 4279, RFC 7627) as a state machine
 * without sockets or timers: the driver feeds it datagrams and timer expiries and sends what it
 * returns. Flights, in order:
 *
 *   ClientHello  →  ← HelloVerifyRequest (0..n)   ClientHello + cookie  →
 *   ← ServerHello, [ServerKeyExchange], ServerHelloDone
 *   ClientKeyExchange, ChangeCipherSpec, Finished  →   ← ChangeCipherSpec, Finished
 *
 * A server flight seen again while we wait for the next one means our flight was lost: we resend
 * it at once rather than wait for our timer (RFC 6347 4.2.4).
 */
export class ClientHandshake {
  private phaseValue: ClientPhase = 'wait_server_hello'
  private readonly random = randomBytes(32)
  private cookie: Uint8Array = Buffer.alloc(0)
  private cookieExchanges = 0
  /** message_seq of our next handshake message. */
  private sendSeq = 0
  private readonly writeSeq = [0, 0]
  /** Our messages and the server's, with DTLS headers, from the last ClientHello on. */
  private transcript: Buffer[] = []
  private reassembler = new Reassembler(0)
  private flight: FlightRecord[] = []
  private suite?: CipherSuiteId
  private serverRandom?: Buffer
  private extendedMasterSecret = false
  private master?: Buffer
  private read?: RecordCipher
  private write?: RecordCipher
  private readonly replay1 = new ReplayWindow()
  private sentChangeCipherSpec = false

  constructor(private readonly options: ClientHandshakeOptions) {
    if (options.cipherSuites.length === 0) throw new DtlsError('LWC_DTLS_OPTIONS', 'no cipher suite to offer')
  }

  get phase(): ClientPhase {
    return this.phaseValue
  }

  /** The suite the server chose (after its ServerHello). */
  get cipherSuite(): CipherSuiteId | undefined {
    return this.suite
  }

  /** True when the server echoed extended_master_secret and the master secret is the extended one. */
  get usesExtendedMasterSecret(): boolean {
    return this.extendedMasterSecret
  }

  /** Our first flight: the ClientHello without a cookie. */
  start(): Buffer {
    if (this.flight.length > 0) throw new DtlsError('LWC_DTLS_CLOSED', 'handshake already started')
    this.sendClientHello()
    return this.flightDatagram()
  }

  /** Our current flight again, with fresh record numbers; undefined once the handshake is over. */
  retransmit(): Buffer | undefined {
    if (this.phaseValue === 'established' || this.phaseValue === 'failed' || this.flight.length === 0) return undefined
    return this.flightDatagram()
  }

  /** Processes one datagram from the server. */
  receive(datagram: Uint8Array): ClientStep {
    const records = parseRecords(datagram)
    const send: Buffer[] = []
    let newFlight = false
    for (let i = 0; i < records.length; i++) {
      if (this.phaseValue === 'established' || this.phaseValue === 'failed') break
      const step = this.receiveRecord(records[i])
      if (!step) continue
      send.push(...step.send)
      newFlight ||= step.newFlight
      if (step.error) return { send, newFlight: false, error: step.error }
      if (step.session) return { send, newFlight, session: step.session, rest: records.slice(i + 1) }
    }
    return { send, newFlight }
  }

  private receiveRecord(record: DtlsRecord): ClientStep | undefined {
    if (record.epoch === 0) {
      switch (record.type) {
        case ContentType.handshake:
          return this.receiveFragments(record.fragment, 0)
        case ContentType.alert:
          return this.receiveAlert(record.fragment)
        default:
          // ChangeCipherSpec only marks the epoch change, which the record's epoch field tells us
          // as well: the Finished is authenticated whether or not its CCS arrived first.
          return undefined
      }
    }
    if (record.epoch !== 1 || this.phaseValue !== 'wait_server_finished' || !this.read || !this.replay1.check(record.seq)) return undefined
    const plain = this.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
    if (!plain) return undefined // forged, or from an older handshake: dropped (RFC 6347 4.1.2.7)
    this.replay1.accept(record.seq)
    if (record.type === ContentType.handshake) return this.receiveFragments(plain, 1)
    if (record.type === ContentType.alert) return this.receiveAlert(plain)
    return undefined // application data before the server's Finished: the sender will repeat it
  }

  private receiveFragments(bytes: Uint8Array, epoch: 0 | 1): ClientStep | undefined {
    let fragments: HandshakeFragment[]
    try {
      fragments = parseHandshakeFragments(bytes)
    } catch {
      return undefined // a record that does not even frame: discarded like any invalid record
    }
    const send: Buffer[] = []
    let newFlight = false
    for (const f of fragments) {
      const step = this.receiveFragment(f, epoch)
      if (!step) continue
      send.push(...step.send)
      newFlight ||= step.newFlight
      if (step.error || step.session) return { ...step, send, newFlight }
    }
    return { send, newFlight }
  }

  private receiveFragment(f: HandshakeFragment, epoch: 0 | 1): ClientStep | undefined {
    try {
      return this.receiveFragmentOrThrow(f, epoch)
    } catch (err) {
      return this.fail(AlertDescription.decodeError, 'malformed handshake message', err)
    }
  }

  private receiveFragmentOrThrow(f: HandshakeFragment, epoch: 0 | 1): ClientStep | undefined {
    if (f.msgType === HandshakeType.helloVerifyRequest && epoch === 0) return this.receiveHelloVerifyRequest(f)
    if (this.phaseValue === 'wait_server_finished' && epoch === 0) {
      // The server repeats its ServerHelloDone: it did not get our final flight.
      if (f.msgType === HandshakeType.serverHelloDone && f.messageSeq < this.reassembler.expected) return { send: [this.flightDatagram()], newFlight: false }
      return undefined
    }
    if (this.phaseValue === 'wait_server_finished' ? epoch !== 1 : epoch !== 0) return undefined
    if (this.phaseValue === 'wait_server_hello' && f.msgType === HandshakeType.serverHello && f.messageSeq !== this.reassembler.expected) {
      // Servers number their ServerHello after our last ClientHello (RFC 6347 4.2.2); follow one
      // that numbers it otherwise, since nothing of this flight was released yet.
      this.reassembler = new Reassembler(f.messageSeq)
    }
    if (!this.reassembler.add(f)) return undefined // part of a flight we already have
    const send: Buffer[] = []
    let newFlight = false
    let m: HandshakeMessage | undefined
    while ((m = this.reassembler.next())) {
      const step = this.receiveMessage(m)
      send.push(...step.send)
      newFlight ||= step.newFlight
      if (step.error || step.session) return { ...step, send, newFlight }
    }
    return { send, newFlight }
  }

  private receiveHelloVerifyRequest(f: HandshakeFragment): ClientStep | undefined {
    if (this.phaseValue !== 'wait_server_hello' || !isWhole(f)) return undefined // late duplicate
    const { serverVersion, cookie } = parseHelloVerifyRequest(f.body)
    if (serverVersion !== DTLS_1_0 && serverVersion !== DTLS_1_2) return this.fail(AlertDescription.protocolVersion, `HelloVerifyRequest for version ${serverVersion.toString(16)}`)
    if (Buffer.from(cookie).equals(this.cookie)) {
      // The answer to a resend of the same ClientHello: our hello still stands, send it again.
      return { send: [this.flightDatagram()], newFlight: false }
    }
    if (++this.cookieExchanges > MAX_COOKIE_EXCHANGES) return this.fail(AlertDescription.handshakeFailure, 'the server keeps asking for a new cookie')
    this.cookie = Buffer.from(cookie)
    this.sendClientHello()
    return { send: [this.flightDatagram()], newFlight: true }
  }

  private receiveMessage(m: HandshakeMessage): ClientStep {
    switch (this.phaseValue) {
      case 'wait_server_hello':
        if (m.msgType !== HandshakeType.serverHello) break
        return this.receiveServerHello(m)
      case 'wait_server_hello_done':
        if (m.msgType === HandshakeType.serverKeyExchange && !this.transcript.some((t) => t[0] === HandshakeType.serverKeyExchange)) {
          parsePskServerKeyExchange(m.body) // the identity hint: we have one identity, so it changes nothing
          this.transcript.push(serializeHandshake(m))
          return { send: [], newFlight: false }
        }
        if (m.msgType !== HandshakeType.serverHelloDone) break
        if (m.body.length !== 0) return this.fail(AlertDescription.decodeError, 'ServerHelloDone with a body')
        this.transcript.push(serializeHandshake(m))
        return this.sendFinalFlight()
      case 'wait_server_finished':
        if (m.msgType !== HandshakeType.finished) break
        return this.receiveFinished(m)
    }
    return this.fail(AlertDescription.unexpectedMessage, `unexpected handshake message ${m.msgType} in ${this.phaseValue}`)
  }

  private receiveServerHello(m: HandshakeMessage): ClientStep {
    const hello = parseServerHello(m.body)
    if (hello.serverVersion !== DTLS_1_2) return this.fail(AlertDescription.protocolVersion, `server chose version ${hello.serverVersion.toString(16)}`)
    const suite = this.options.cipherSuites.find((s) => s === hello.cipherSuite)
    if (suite === undefined) return this.fail(AlertDescription.illegalParameter, `server chose a suite we did not offer (${hello.cipherSuite.toString(16)})`)
    if (hello.compressionMethod !== 0) return this.fail(AlertDescription.illegalParameter, 'server chose compression')
    for (const [type, data] of hello.extensions) {
      // We offered EMS and (by the SCSV) an empty renegotiation_info; nothing else may come back (RFC 5246 7.4.1.4).
      if (type === ExtensionType.extendedMasterSecret && data.length === 0) continue
      if (type === ExtensionType.renegotiationInfo && data.length === 1 && data[0] === 0) continue
      return this.fail(UNSUPPORTED_EXTENSION, `server sent extension ${type} we did not offer (or a malformed one)`)
    }
    this.suite = suite
    this.extendedMasterSecret = hello.extensions.has(ExtensionType.extendedMasterSecret)
    this.serverRandom = Buffer.from(hello.random)
    this.transcript.push(serializeHandshake(m))
    this.phaseValue = 'wait_server_hello_done'
    return { send: [], newFlight: false }
  }

  /** ClientKeyExchange, ChangeCipherSpec, Finished; the keys for epoch 1 come from the PSK here. */
  private sendFinalFlight(): ClientStep {
    const suite = this.suite!
    const serverRandom = this.serverRandom!
    const cke = this.message(HandshakeType.clientKeyExchange, serializePskClientKeyExchange(this.options.identity))
    const premaster = pskPremasterSecret(this.options.psk)
    // With EMS the session hash covers the transcript through the ClientKeyExchange (RFC 7627 4).
    this.master = this.extendedMasterSecret
      ? extendedMasterSecret(premaster, transcriptHash(this.transcript))
      : masterSecret(premaster, this.random, serverRandom)
    // serverCiphers splits the key block as the server sees it: its read side is our write side.
    const server = serverCiphers(suite, keyBlock(this.master, this.random, serverRandom, keyBlockLength(suite)))
    this.write = server.read
    this.read = server.write
    const finished = this.message(HandshakeType.finished, verifyData(this.master, 'client finished', transcriptHash(this.transcript)))
    this.flight = [
      { type: ContentType.handshake, epoch: 0, payload: cke },
      { type: ContentType.changeCipherSpec, epoch: 0, payload: Buffer.from([1]) },
      { type: ContentType.handshake, epoch: 1, payload: finished },
    ]
    this.sentChangeCipherSpec = true
    this.phaseValue = 'wait_server_finished'
    return { send: [this.flightDatagram()], newFlight: true }
  }

  private receiveFinished(m: HandshakeMessage): ClientStep {
    const expected = verifyData(this.master!, 'server finished', transcriptHash(this.transcript))
    if (m.body.length !== expected.length || !timingSafeEqual(expected, m.body)) {
      return this.fail(AlertDescription.decryptError, 'server Finished did not verify')
    }
    this.phaseValue = 'established'
    this.flight = []
    return { send: [], newFlight: false, session: new ClientSession(this.read!, this.write!, this.writeSeq[1], this.replay1) }
  }

  private receiveAlert(body: Uint8Array): ClientStep | undefined {
    if (body.length !== 2 || body[0] !== AlertLevel.fatal) return undefined // warnings (even close_notify) do not end a handshake
    this.phaseValue = 'failed'
    const name = Object.entries(AlertDescription).find(([, v]) => v === body[1])?.[0] ?? String(body[1])
    const hint = body[1] === AlertDescription.handshakeFailure || body[1] === AlertDescription.decryptError ? ' (wrong PSK or unknown identity?)' : ''
    return { send: [], newFlight: false, error: new DtlsError('LWC_DTLS_HANDSHAKE', `the server aborted the DTLS handshake: ${name}${hint}`) }
  }

  private fail(description: number, why: string, cause?: unknown): ClientStep {
    this.phaseValue = 'failed'
    // After our ChangeCipherSpec the server reads epoch 1 only.
    const alert = this.record({ type: ContentType.alert, epoch: this.sentChangeCipherSpec ? 1 : 0, payload: serializeAlert(AlertLevel.fatal, description) })
    return { send: [alert], newFlight: false, error: new DtlsError('LWC_DTLS_HANDSHAKE', `DTLS handshake failed: ${why}`, { cause }) }
  }

  /** A new ClientHello (same random, the current cookie, the next message_seq) as our whole flight. */
  private sendClientHello(): void {
    const body = serializeClientHello({ random: this.random, cookie: this.cookie, cipherSuites: this.options.cipherSuites })
    // The transcript starts over with the hello the server answers (RFC 6347 4.2.1).
    this.transcript = []
    const hello = this.message(HandshakeType.clientHello, body)
    this.reassembler = new Reassembler(this.sendSeq - 1)
    this.flight = [{ type: ContentType.handshake, epoch: 0, payload: hello }]
  }

  /** Numbers a message of ours, appends it to the transcript and returns it with its header. */
  private message(msgType: number, body: Uint8Array): Buffer {
    const bytes = serializeHandshake({ msgType, messageSeq: this.sendSeq++, body })
    this.transcript.push(bytes)
    return bytes
  }

  /** The current flight in one datagram (our flights are small: never fragmented). */
  private flightDatagram(): Buffer {
    return Buffer.concat(this.flight.map((r) => this.record(r)))
  }

  private record(r: FlightRecord): Buffer {
    const seq = this.writeSeq[r.epoch]++
    const fragment = r.epoch === 1 ? this.write!.encrypt(r.type, DTLS_1_2, 1, seq, r.payload) : r.payload
    return serializeRecord({ type: r.type, version: DTLS_1_2, epoch: r.epoch, seq, fragment })
  }
}
