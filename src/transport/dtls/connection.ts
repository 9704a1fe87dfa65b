import { randomBytes } from 'node:crypto'
import type { Logger } from '../../logger.js'
import type { PeerAddress, PskLookup, SessionEndReason } from '../types.js'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import type { RecordCipher } from './cipher.js'
import { HandshakeType, isWhole, parseHandshakeFragments, serializeHandshake, type HandshakeFragment, type HandshakeMessage } from './handshake.js'
import { HandshakeState, MAX_EARLY_RECORDS } from './handshake-state.js'
import { parsePskClientKeyExchange } from './hello.js'
import { clientFinishedValid, deriveKeys, serverFinished, serverHelloFlight } from './server-handshake.js'
import { ContentType, DTLS_1_2, MAX_SEQ, serializeRecord, type DtlsRecord } from './record.js'
import { ReplayWindow } from './replay-window.js'
import { ownCopy } from './own-copy.js'

/** What a connection needs from the server that owns it. */
export interface ConnectionContext {
  readonly logger: Logger
  readonly pskLookup: PskLookup
  readonly identityHint?: Uint8Array
  readonly retransmitInitialMs: number
  readonly retransmitMaxMs: number
  /** A PSK lookup slower than this counts as failed (it would otherwise hold the peer's queue). */
  readonly lookupTimeoutMs: number
  sendRaw(peer: PeerAddress, datagram: Buffer): void
  deliver(peer: PeerAddress, data: Uint8Array, identity: string): void
  handshakeStarted(conn: Connection): void
  /** Called when the PSK lookup answered that no key has the offered identity. */
  identityUnknown(conn: Connection, identity: string): void
  /** Called when the handshake state goes away (completed or failed). */
  handshakeEnded(conn: Connection, ok: boolean): void
  /** Called after each processed input: the owner forgets the connection once it is empty. */
  settled(conn: Connection): void
  sessionStarted(conn: Connection): void
  sessionEnded(conn: Connection, identity: string, reason: SessionEndReason): void
}

/** An established DTLS session (epoch 1). */
export interface Session {
  readonly identity: string
  readonly clientRandom: Uint8Array
  readonly read: RecordCipher
  readonly write: RecordCipher
  readonly replay: ReplayWindow
  writeSeq: number
  lastActivity: number
  /** Our final flight (ChangeCipherSpec + Finished), resent when the client repeats its last flight. */
  readonly lastFlight: Buffer
  readonly clientKeyExchangeSeq: number
  readonly finishedSeq: number
  lastResendAt: number
}


const RESEND_MIN_INTERVAL_MS = 250

/** Most inputs queued for one peer (the PSK lookup may be slow); the rest are dropped. */
const MAX_QUEUED = 64

/**
 * The state kept for one peer after its cookie verified: at most one handshake in progress and at
 * most one established session (kept until a new handshake completes: RFC 6347 4.2.8).
 */
export class Connection {
  handshake?: HandshakeState
  session?: Session
  private queue: Promise<void> = Promise.resolve()
  private queued = 0
  private dead = false

  constructor(
    readonly peer: PeerAddress,
    readonly key: string,
    private readonly ctx: ConnectionContext,
  ) {}

  /** Queues one input; processed strictly in arrival order. Returns false when dropped. */
  enqueue(record: DtlsRecord): boolean {
    if (this.queued >= MAX_QUEUED || this.dead) return false
    this.queued++
    this.queue = this.queue
      .then(() => (this.dead ? undefined : this.process(record)))
      .catch((err: unknown) => this.ctx.logger.debug({ peer: this.key, err }, 'DTLS input dropped'))
      .finally(() => {
        this.queued--
        this.ctx.settled(this)
      })
    return true
  }

  /** True when inputs are still waiting (the owner keeps the connection meanwhile). */
  get busy(): boolean {
    return this.queued > 0
  }

  /** True when neither a handshake nor a session is left. */
  get empty(): boolean {
    return !this.handshake && !this.session
  }

  /** Sends application data inside the session. */
  sendApplicationData(data: Uint8Array): boolean {
    const s = this.session
    if (!s || s.writeSeq >= MAX_SEQ) return false
    this.ctx.sendRaw(this.peer, this.protect(s, ContentType.applicationData, data))
    return true
  }

  /** Ends the session with close_notify and drops the handshake too. */
  close(reason: SessionEndReason): void {
    const s = this.session
    if (s) {
      this.ctx.sendRaw(this.peer, this.protect(s, ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.closeNotify)))
      this.endSession(reason)
    }
    if (this.handshake) this.dropHandshake(false)
    this.dead = true
  }

  /** Ends the session without telling the peer (idle expiry: the peer is probably gone). */
  expireSession(): void {
    if (this.session) this.endSession('expired')
  }

  /** Gives up a handshake that took too long. */
  expireHandshake(): void {
    if (!this.handshake) return
    this.ctx.logger.info({ peer: this.key, identity: this.handshake.identity }, 'DTLS handshake timed out')
    this.dropHandshake(false)
  }

  private async process(record: DtlsRecord): Promise<void> {
    if (record.epoch === 0) return this.processEpoch0(record)
    if (record.epoch === 1) return this.processEpoch1(record)
  }

  /**
   * Starts (or, for a repeated ClientHello, resumes) the handshake of a cookie-verified hello.
   * Synchronous so that the owner's handshake count is exact; the old session stays until the new
   * handshake completes.
   */
  startHandshake(hs: HandshakeState): void {
    const current = this.handshake
    if (current && Buffer.from(current.hello.random).equals(hs.hello.random) && current.helloSeq === hs.helloSeq) {
      // The client repeated its ClientHello: our ServerHello flight was lost.
      if (current.phase === 'wait_client_key_exchange') this.resendFlight(current)
      return
    }
    if (this.session && Buffer.from(this.session.clientRandom).equals(hs.hello.random)) return // stale duplicate
    if (current) this.dropHandshake(false)
    this.handshake = hs
    this.ctx.handshakeStarted(this)
    const records = serverHelloFlight(hs, this.ctx.identityHint).map((m) => this.plainRecord(hs, ContentType.handshake, m))
    hs.flight = Buffer.concat(records)
    this.ctx.sendRaw(this.peer, hs.flight)
    this.armRetransmit(hs)
  }

  private async processEpoch0(record: DtlsRecord): Promise<void> {
    const hs = this.handshake
    if (!hs) {
      // A repeated ClientKeyExchange after we finished: our final flight was lost.
      if (this.session && record.type === ContentType.handshake) this.maybeResendFinal(record.fragment, this.session.clientKeyExchangeSeq)
      return
    }
    if (!hs.replay0.check(record.seq)) return
    hs.replay0.accept(record.seq)
    switch (record.type) {
      case ContentType.handshake:
        return this.processHandshakeFragments(hs, parseHandshakeFragments(record.fragment), 0)
      case ContentType.changeCipherSpec:
        if (record.fragment.length !== 1 || record.fragment[0] !== 1) return this.failHandshake(hs, AlertDescription.decodeError, 'malformed ChangeCipherSpec')
        if (hs.phase !== 'wait_change_cipher_spec') {
          // Reordered ahead of the ClientKeyExchange: the client will retransmit its flight.
          return
        }
        hs.phase = 'wait_finished'
        for (const early of hs.early.splice(0)) await this.processEpoch1(early)
        return
      case ContentType.alert:
        return this.receiveHandshakeAlert(hs, record.fragment)
      default:
        return // application data in epoch 0: discard
    }
  }

  private async processEpoch1(record: DtlsRecord): Promise<void> {
    const hs = this.handshake
    if (hs && hs.phase === 'wait_finished') return this.processHandshakeEpoch1(hs, record)
    const s = this.session
    if (s && s.replay.check(record.seq)) {
      const plain = s.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
      if (plain) {
        s.replay.accept(record.seq)
        s.lastActivity = Date.now()
        return this.processSessionRecord(s, record.type, plain)
      }
    }
    if (hs && hs.early.length < MAX_EARLY_RECORDS) hs.early.push(record)
  }

  private async processHandshakeEpoch1(hs: HandshakeState, record: DtlsRecord): Promise<void> {
    if (!hs.read || !hs.replay1.check(record.seq)) return
    const plain = hs.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
    if (!plain) {
      // Old-session traffic may still arrive while the new handshake runs.
      const s = this.session
      if (s && s.replay.check(record.seq)) {
        const old = s.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
        if (old) {
          s.replay.accept(record.seq)
          return this.processSessionRecord(s, record.type, old)
        }
      }
      // Only a handshake record can be the client's Finished; anything else (a late or replayed
      // record of the old session, garbage) is dropped rather than allowed to abort the handshake.
      if (record.type !== ContentType.handshake) return
      const why = hs.unknownIdentity ? 'unknown PSK identity' : 'client Finished did not decrypt (wrong PSK?)'
      return this.failHandshake(hs, AlertDescription.handshakeFailure, why)
    }
    hs.replay1.accept(record.seq)
    if (record.type === ContentType.handshake) return this.processHandshakeFragments(hs, parseHandshakeFragments(plain), 1)
    if (record.type === ContentType.alert) return this.receiveHandshakeAlert(hs, plain)
  }

  private async processHandshakeFragments(hs: HandshakeState, fragments: HandshakeFragment[], epoch: number): Promise<void> {
    for (const f of fragments) {
      if (!hs.reassembler.add(f)) continue // part of an earlier flight: the client retransmits, it has our flight or will soon
      let message: HandshakeMessage | undefined
      while ((message = hs.reassembler.next()) && this.handshake === hs) {
        await this.processHandshakeMessage(hs, message, epoch)
      }
    }
  }

  private async processHandshakeMessage(hs: HandshakeState, m: HandshakeMessage, epoch: number): Promise<void> {
    if (hs.phase === 'wait_client_key_exchange' && m.msgType === HandshakeType.clientKeyExchange && epoch === 0) {
      return this.receiveClientKeyExchange(hs, m)
    }
    if (hs.phase === 'wait_finished' && m.msgType === HandshakeType.finished && epoch === 1) {
      return this.receiveFinished(hs, m)
    }
    return this.failHandshake(hs, AlertDescription.unexpectedMessage, `unexpected handshake message ${m.msgType}`)
  }

  private async receiveClientKeyExchange(hs: HandshakeState, m: HandshakeMessage): Promise<void> {
    const identityBytes = parsePskClientKeyExchange(m.body)
    const identity = Buffer.from(identityBytes).toString('utf8')
    hs.identity = identity
    hs.clientKeyExchangeSeq = m.messageSeq
    hs.phase = 'lookup'
    this.stopRetransmit(hs)
    hs.transcript.push(serializeHandshake(m))
    let psk: Uint8Array | undefined
    let answered = false
    try {
      psk = await withTimeout(this.ctx.pskLookup(identity), this.ctx.lookupTimeoutMs)
      answered = true
    } catch (err) {
      this.ctx.logger.warn({ peer: this.key, identity, err }, 'PSK lookup failed')
    }
    if (this.handshake !== hs) return
    if (answered && !psk) this.ctx.identityUnknown(this, identity)
    if (!psk) {
      // Go on with a random key so that an unknown identity looks like a wrong key (RFC 4279 2).
      hs.unknownIdentity = true
      psk = randomBytes(16)
    }
    deriveKeys(hs, psk)
    hs.phase = 'wait_change_cipher_spec'
  }

  private receiveFinished(hs: HandshakeState, m: HandshakeMessage): void {
    if (hs.unknownIdentity) return this.failHandshake(hs, AlertDescription.handshakeFailure, 'unknown PSK identity')
    if (!clientFinishedValid(hs, m.body)) {
      return this.failHandshake(hs, AlertDescription.handshakeFailure, 'client Finished did not verify (wrong PSK?)')
    }
    const finished = serverFinished(hs, m)
    const ccs = this.plainRecord(hs, ContentType.changeCipherSpec, Buffer.from([1]))
    const write = hs.write!
    const fin = serializeRecord({
      type: ContentType.handshake,
      version: DTLS_1_2,
      epoch: 1,
      seq: 0,
      fragment: write.encrypt(ContentType.handshake, DTLS_1_2, 1, 0, finished),
    })
    const lastFlight = ownCopy(Buffer.concat([ccs, fin]))
    const old = this.session
    if (old) this.endSession('replaced')
    this.session = {
      identity: hs.identity!,
      clientRandom: ownCopy(hs.hello.random),
      read: hs.read!,
      write,
      replay: hs.replay1,
      writeSeq: 1,
      lastActivity: Date.now(),
      lastFlight,
      clientKeyExchangeSeq: hs.clientKeyExchangeSeq,
      finishedSeq: m.messageSeq,
      lastResendAt: 0,
    }
    this.dropHandshake(true)
    this.ctx.sendRaw(this.peer, lastFlight)
    this.ctx.logger.debug({ peer: this.key, identity: this.session.identity, suite: hs.suite }, 'DTLS session established')
    this.ctx.sessionStarted(this)
  }

  private processSessionRecord(s: Session, type: number, plain: Buffer): void {
    switch (type) {
      case ContentType.applicationData:
        this.ctx.deliver(this.peer, plain, s.identity)
        return
      case ContentType.alert: {
        if (plain.length !== 2) return
        if (plain[1] === AlertDescription.closeNotify) {
          this.ctx.sendRaw(this.peer, this.protect(s, ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.closeNotify)))
          return this.endSession('closed')
        }
        if (plain[0] === AlertLevel.fatal) {
          this.ctx.logger.info({ peer: this.key, identity: s.identity, alert: plain[1] }, 'DTLS peer sent a fatal alert')
          return this.endSession('alert')
        }
        return
      }
      case ContentType.handshake: {
        if (this.maybeResendFinal(plain, s.finishedSeq)) return
        // A ClientHello inside the session is a renegotiation attempt, which we refuse.
        let fragments: HandshakeFragment[] = []
        try {
          fragments = parseHandshakeFragments(plain)
        } catch {
          return
        }
        if (fragments.some((f) => f.msgType === HandshakeType.clientHello)) {
          this.ctx.sendRaw(this.peer, this.protect(s, ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.noRenegotiation)))
        }
        return
      }
      default:
        return
    }
  }

  /** Resends our final flight when the client repeats a message of its final flight (rate-limited). */
  private maybeResendFinal(handshakeBytes: Uint8Array, seq: number): boolean {
    const s = this.session
    if (!s) return false
    let fragments: HandshakeFragment[]
    try {
      fragments = parseHandshakeFragments(handshakeBytes)
    } catch {
      return false
    }
    if (!fragments.some((f) => f.messageSeq === seq && (f.msgType === HandshakeType.clientKeyExchange || f.msgType === HandshakeType.finished))) return false
    const now = Date.now()
    // At most one resend per 250 ms: the trigger is an unauthenticated epoch-0 record.
    if (now - s.lastResendAt >= RESEND_MIN_INTERVAL_MS) {
      s.lastResendAt = now
      this.ctx.sendRaw(this.peer, s.lastFlight)
    }
    return true
  }

  private receiveHandshakeAlert(hs: HandshakeState, body: Uint8Array): void {
    if (body.length !== 2 || body[0] !== AlertLevel.fatal) return
    this.ctx.logger.info({ peer: this.key, identity: hs.identity, alert: body[1] }, 'DTLS handshake aborted by the peer')
    this.dropHandshake(false)
  }

  private failHandshake(hs: HandshakeState, description: number, why: string): void {
    this.ctx.logger.warn({ peer: this.key, identity: hs.identity, alert: description }, `DTLS handshake failed: ${why}`)
    // The client reads epoch 0 until it gets our ChangeCipherSpec, so the alert goes in clear.
    this.ctx.sendRaw(this.peer, this.plainRecord(hs, ContentType.alert, serializeAlert(AlertLevel.fatal, description)))
    this.dropHandshake(false)
  }

  private dropHandshake(ok: boolean): void {
    const hs = this.handshake
    if (!hs) return
    this.stopRetransmit(hs)
    hs.early.length = 0
    this.handshake = undefined
    this.ctx.handshakeEnded(this, ok)
  }

  private endSession(reason: SessionEndReason): void {
    const s = this.session
    if (!s) return
    this.session = undefined
    this.ctx.sessionEnded(this, s.identity, reason)
  }

  private plainRecord(hs: HandshakeState, type: number, fragment: Uint8Array): Buffer {
    return serializeRecord({ type, version: DTLS_1_2, epoch: 0, seq: hs.writeSeq0++, fragment })
  }

  private protect(s: Session, type: number, plaintext: Uint8Array): Buffer {
    const seq = s.writeSeq++
    return serializeRecord({ type, version: DTLS_1_2, epoch: 1, seq, fragment: s.write.encrypt(type, DTLS_1_2, 1, seq, plaintext) })
  }

  private armRetransmit(hs: HandshakeState): void {
    this.stopRetransmit(hs)
    hs.timer = setTimeout(() => {
      if (this.handshake !== hs || !hs.flight || hs.phase !== 'wait_client_key_exchange') return
      // Resent flights carry fresh record numbers (RFC 6347 4.2.4): rebuild from the transcript.
      this.resendFlight(hs)
      hs.rtoMs = Math.min(hs.rtoMs * 2, this.ctx.retransmitMaxMs)
      this.armRetransmit(hs)
    }, hs.rtoMs)
    hs.timer.unref?.()
  }

  private resendFlight(hs: HandshakeState): void {
    // Our flight is every transcript entry after the ClientHello.
    const records = hs.transcript.slice(1).map((bytes) => this.plainRecord(hs, ContentType.handshake, bytes))
    hs.flight = Buffer.concat(records)
    this.ctx.sendRaw(this.peer, hs.flight)
  }

  private stopRetransmit(hs: HandshakeState): void {
    if (hs.timer) clearTimeout(hs.timer)
    hs.timer = undefined
  }
}

/** True when a fragment is a whole ClientHello (the only message handled before state exists). */
export function isWholeClientHello(f: HandshakeFragment): boolean {
  return f.msgType === HandshakeType.clientHello && isWhole(f)
}

/** Resolves like `p`, or rejects once `ms` passed. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`PSK lookup took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
