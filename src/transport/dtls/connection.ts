import { randomBytes } from 'node:crypto'
import type { Logger } from '../../logger.js'
import type { PeerAddress, PskLookup, SessionEndReason } from '../types.js'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import type { CipherSuiteId, RecordCipher } from './cipher.js'
import { HandshakeType, isWhole, parseHandshakeFragments, serializeHandshake, type HandshakeFragment, type HandshakeMessage } from './handshake.js'
import { HandshakeState, MAX_EARLY_RECORDS } from './handshake-state.js'
import { decodePskIdentity, parsePskClientKeyExchange } from './hello.js'
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
  /**
   * Asked once the client authenticated (its Finished verified) and before the session exists:
   * false when there is no room for it (maxSessions, unless it replaces a session).
   */
  admitSession(conn: Connection, identity: string): boolean
  sessionStarted(conn: Connection): void
  sessionEnded(conn: Connection, identity: string, reason: SessionEndReason): void
}

/** An established DTLS session (epoch 1). */
export interface Session {
  readonly identity: string
  readonly suite: CipherSuiteId
  readonly encryptThenMac: boolean
  readonly clientRandom: Uint8Array
  readonly read: RecordCipher
  readonly write: RecordCipher
  readonly replay: ReplayWindow
  writeSeq: number
  lastActivity: number
  /** Our Finished message (with its header), resent when the client repeats its last flight. */
  readonly finished: Buffer
  /** Next epoch-0 record number (for a resent ChangeCipherSpec: each resend gets fresh numbers). */
  writeSeq0: number
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
  /** The datagram of the record being processed. */
  private datagram = 0

  constructor(
    readonly peer: PeerAddress,
    readonly key: string,
    private readonly ctx: ConnectionContext,
  ) {}

  /**
   * Queues one record; processed strictly in arrival order. `datagram` numbers the datagram it
   * came in (see endOfDatagram). Returns false when dropped.
   */
  enqueue(record: DtlsRecord, datagram = 0): boolean {
    // The common case, a record of an established session with nothing queued before it and no
    // handshake running, is processed now: in order by construction, and without the three
    // promises and microtasks per record that the queue costs (the queue exists for the
    // asynchronous PSK lookup of a handshake).
    if (record.epoch === 1 && this.queued === 0 && !this.dead && !this.handshake && this.session) {
      this.datagram = datagram
      try {
        this.processSessionEpoch1(this.session, record)
      } catch (err) {
        this.ctx.logger.debug({ peer: this.key, err }, 'DTLS input dropped')
      }
      this.ctx.settled(this)
      return true
    }
    return this.schedule(() => {
      this.datagram = datagram
      return this.process(record)
    })
  }

  /**
   * Queued after the records of each datagram. When the datagram that carried the client's
   * ClientKeyExchange also carried a handshake record that did not decrypt, and no Finished
   * verified, the client's own flight shows that the keys differ (wrong PSK, unknown identity):
   * the handshake fails now. A stray undecryptable record on its own is only discarded
   * (RFC 6347 4.1.2.7).
   */
  endOfDatagram(datagram: number): void {
    // Handshakes only start synchronously (ClientHello), so none can appear behind this check.
    if (!this.handshake) return
    this.schedule(() => {
      const hs = this.handshake
      if (!hs || hs.phase !== 'wait_finished' || hs.undecryptableWithKeyExchange !== datagram) return
      this.failHandshake(hs, AlertDescription.handshakeFailure, keysDiffer(hs))
    })
  }

  private schedule(task: () => Promise<void> | void): boolean {
    if (this.queued >= MAX_QUEUED || this.dead) return false
    this.queued++
    this.queue = this.queue
      .then(() => (this.dead ? undefined : task()))
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

  /**
   * Ends the session, with close_notify, because its identity has a newer one elsewhere. A
   * handshake in progress on this address stays: it may be the device itself coming back.
   */
  replaceSession(): void {
    const s = this.session
    if (!s) return
    if (s.writeSeq < MAX_SEQ) this.ctx.sendRaw(this.peer, this.protect(s, ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.closeNotify)))
    this.endSession('replaced')
  }

  /** Ends the session without telling the peer (idle expiry: the peer is probably gone). */
  expireSession(): void {
    if (this.session) this.endSession('expired')
  }

  /** Gives up a handshake that took too long. */
  expireHandshake(): void {
    const hs = this.handshake
    if (!hs) return
    const why = hs.undecryptable > 0 ? ' (its Finished did not decrypt: wrong PSK?)' : ''
    this.ctx.logger.info({ peer: this.key, identity: loggedIdentity(hs), phase: hs.phase }, `DTLS handshake timed out${why}`)
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
    // No record-level replay check in epoch 0 (see HandshakeState): a duplicate handshake
    // fragment is caught by the reassembler, a duplicate ChangeCipherSpec by the phase.
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
        for (const early of hs.early.splice(0)) {
          // Processed as part of the datagram it came in, not of this one.
          const current = this.datagram
          this.datagram = early.datagram
          await this.processEpoch1(early.record)
          this.datagram = current
        }
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
    if (s && this.processSessionEpoch1(s, record)) return
    if (hs && hs.early.length < MAX_EARLY_RECORDS) hs.early.push({ record, datagram: this.datagram })
  }

  /** An epoch-1 record of the session: true when it authenticated (and was processed). */
  private processSessionEpoch1(s: Session, record: DtlsRecord): boolean {
    if (!s.replay.check(record.seq)) return false
    const plain = s.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
    if (!plain) return false
    s.replay.accept(record.seq)
    s.lastActivity = Date.now()
    this.processSessionRecord(s, record.type, plain)
    return true
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
      // An invalid record is discarded, never fatal on its own (RFC 6347 4.1.2.7): anyone can
      // send one. A client with the wrong key still gets its alert: see endOfDatagram, and the
      // repeated ClientKeyExchange in processHandshakeFragments.
      if (record.type === ContentType.handshake) {
        hs.undecryptable++
        if (this.datagram !== 0 && this.datagram === hs.keyExchangeDatagram) hs.undecryptableWithKeyExchange = this.datagram
      }
      return
    }
    hs.replay1.accept(record.seq)
    if (record.type === ContentType.handshake) return this.processHandshakeFragments(hs, parseHandshakeFragments(plain), 1)
    if (record.type === ContentType.alert) return this.receiveHandshakeAlert(hs, plain)
  }

  private async processHandshakeFragments(hs: HandshakeState, fragments: HandshakeFragment[], epoch: number): Promise<void> {
    for (const f of fragments) {
      if (!hs.reassembler.add(f)) {
        // The client repeats its final flight although its Finished did not decrypt: the keys
        // differ (wrong PSK or unknown identity). Only now is it safe to give up on it.
        if (hs.phase === 'wait_finished' && hs.undecryptable > 0 && f.msgType === HandshakeType.clientKeyExchange && f.messageSeq === hs.clientKeyExchangeSeq) {
          return this.failHandshake(hs, AlertDescription.handshakeFailure, keysDiffer(hs))
        }
        continue // part of an earlier flight: the client retransmits, it has our flight or will soon
      }
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
    hs.identityBytes = ownCopy(parsePskClientKeyExchange(m.body))
    // Strict decoding: two different byte strings never map to the same identity. Bytes that are
    // not UTF-8 cannot be any identity we store (they are strings), so they are not looked up.
    const identity = decodePskIdentity(hs.identityBytes)
    hs.identity = identity
    hs.clientKeyExchangeSeq = m.messageSeq
    hs.keyExchangeDatagram = this.datagram
    hs.phase = 'lookup'
    this.stopRetransmit(hs)
    hs.transcript.push(serializeHandshake(m))
    let psk: Uint8Array | undefined
    if (identity === undefined) {
      this.ctx.logger.info({ peer: this.key, identity: loggedIdentity(hs) }, 'PSK identity is not UTF-8: treated as unknown')
    } else {
      try {
        psk = await withTimeout(this.ctx.pskLookup(identity), this.ctx.lookupTimeoutMs)
      } catch (err) {
        this.ctx.logger.warn({ peer: this.key, identity, err }, 'PSK lookup failed')
        // Our failure, not the peer's: say so now rather than after its retransmission.
        if (this.handshake === hs) this.failHandshake(hs, AlertDescription.handshakeFailure, 'PSK lookup failed')
        return
      }
    }
    if (this.handshake !== hs) return
    // The lookup answered (it did not fail): no key has this identity, or it is not UTF-8.
    if (!psk) this.ctx.identityUnknown(this, identity ?? loggedIdentity(hs)!)
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
    if (!this.session && !this.ctx.admitSession(this, hs.identity!)) {
      return this.failHandshake(hs, AlertDescription.handshakeFailure, 'too many sessions')
    }
    // One buffer of its own for the client's random and our Finished: the message is a view of a
    // shared 8 KB pool slab, which a session that lives for hours would otherwise keep alive
    // (about 2 KB of slab per session at 100k sessions), and one allocation is ~150 B less than two.
    const message = serverFinished(hs, m)
    const kept = Buffer.allocUnsafeSlow(hs.hello.random.length + message.length)
    kept.set(hs.hello.random, 0)
    kept.set(message, hs.hello.random.length)
    const finished = kept.subarray(hs.hello.random.length)
    const old = this.session
    if (old) this.endSession('replaced')
    const session: Session = {
      identity: hs.identity!,
      suite: hs.suite,
      encryptThenMac: hs.encryptThenMac,
      clientRandom: kept.subarray(0, hs.hello.random.length),
      read: hs.read!,
      write: hs.write!,
      replay: hs.replay1,
      writeSeq: 0,
      lastActivity: Date.now(),
      finished,
      writeSeq0: hs.writeSeq0,
      clientKeyExchangeSeq: hs.clientKeyExchangeSeq,
      finishedSeq: m.messageSeq,
      lastResendAt: 0,
    }
    this.session = session
    this.dropHandshake(true)
    this.ctx.sendRaw(this.peer, this.finalFlight(session))
    this.ctx.logger.debug({ peer: this.key, identity: session.identity, suite: hs.suite, encryptThenMac: hs.encryptThenMac }, 'DTLS session established')
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
      if (s.writeSeq < MAX_SEQ) this.ctx.sendRaw(this.peer, this.finalFlight(s))
    }
    return true
  }

  /** ChangeCipherSpec + Finished, with fresh record numbers each time (RFC 6347 4.2.4: a resent flight is new records). */
  private finalFlight(s: Session): Buffer {
    const ccs = serializeRecord({ type: ContentType.changeCipherSpec, version: DTLS_1_2, epoch: 0, seq: s.writeSeq0++, fragment: Buffer.from([1]) })
    return Buffer.concat([ccs, this.protect(s, ContentType.handshake, s.finished)])
  }

  private receiveHandshakeAlert(hs: HandshakeState, body: Uint8Array): void {
    if (body.length !== 2 || body[0] !== AlertLevel.fatal) return
    this.ctx.logger.info({ peer: this.key, identity: loggedIdentity(hs), alert: body[1] }, 'DTLS handshake aborted by the peer')
    this.dropHandshake(false)
  }

  private failHandshake(hs: HandshakeState, description: number, why: string): void {
    this.ctx.logger.warn({ peer: this.key, identity: loggedIdentity(hs), alert: description }, `DTLS handshake failed: ${why}`)
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

/** Why a handshake whose client Finished did not decrypt fails (an unknown identity looks like a wrong key to the peer). */
function keysDiffer(hs: HandshakeState): string {
  return hs.unknownIdentity ? 'unknown PSK identity' : 'client Finished did not decrypt (wrong PSK?)'
}

/** The identity for log lines: as decoded, or its bytes in hex when they are not UTF-8. */
function loggedIdentity(hs: HandshakeState): string | undefined {
  if (hs.identity !== undefined || !hs.identityBytes) return hs.identity
  return `hex:${hs.identityBytes.toString('hex')}`
}

/** True when a fragment is a whole ClientHello (the only message handled before state exists). */
export function isWholeClientHello(f: HandshakeFragment): boolean {
  return f.msgType === HandshakeType.clientHello && isWhole(f)
}

/**
 * Resolves like `p`, or rejects once `ms` passed. Not AbortSignal.timeout: the PSK lookup takes
 * no signal, so a signal could not cancel it either, only race it, and its timer cannot be cleared
 * (every handshake would leave one pending for the whole bound); this timer is cleared at once.
 */
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
