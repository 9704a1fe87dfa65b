/**
 * State and primitives shared by the client and server halves of an endpoint: configuration,
 * tracked timers, message ids, encoding + sending, CON retransmission (RFC 7252 §4.2) and the
 * deduplication table (§4.5).
 */
import { randomBytes, randomInt } from 'node:crypto'
import type { Logger } from '../../logger.js'
import { peerKey, type DatagramTransport, type PeerAddress } from '../types.js'
import { CoapEndpointClosedError, CoapResetError, CoapSendError, CoapSessionEndedError, CoapTimeoutError } from './errors.js'
import { ExpiringMap } from './expiring-map.js'
import { encodeMessage, type CoapMessage } from './message.js'

/** Endpoint tunables; every timer is configurable so tests can run with short ones. */
export interface CoapEndpointOptions {
  readonly transport: DatagramTransport
  readonly logger: Logger
  /** ACK_TIMEOUT (RFC 7252 §4.8), default 2000 ms. */
  readonly ackTimeoutMs?: number
  /** ACK_RANDOM_FACTOR, default 1.5. */
  readonly ackRandomFactor?: number
  /** MAX_RETRANSMIT, default 4. */
  readonly maxRetransmit?: number
  /** How long duplicates are recognised and answered from cache; default 247 000 ms. */
  readonly exchangeLifetimeMs?: number
  /** How long a handler may take before we send an empty ACK and answer separately; default 1000 ms. */
  readonly piggybackDelayMs?: number
  /** How long to wait for a separate (or NON) response after the request was acknowledged; default 30 000 ms. */
  readonly responseTimeoutMs?: number
  /** Preferred block size for Block1/Block2, 16..1024; default 1024. */
  readonly blockSize?: number
  /** Largest body reassembled from blocks, both directions; default 1 MiB. */
  readonly maxBodySize?: number
}

export interface ResolvedOptions {
  readonly ackTimeoutMs: number
  readonly ackRandomFactor: number
  readonly maxRetransmit: number
  readonly exchangeLifetimeMs: number
  readonly piggybackDelayMs: number
  readonly responseTimeoutMs: number
  readonly blockSize: number
  readonly maxBodySize: number
}

/** Counters an endpoint exposes through stats(). */
export interface CoapStats {
  requestsReceived: number
  requestsSent: number
  responsesReceived: number
  retransmissions: number
  duplicates: number
  timeouts: number
  resetsReceived: number
  badDatagrams: number
  notificationsReceived: number
  notificationsSent: number
}

interface Transmission {
  readonly peer: PeerAddress
  readonly bytes: Uint8Array
  readonly what: string
  retries: number
  timeoutMs: number
  timer?: Timer
  readonly resolve: (reply: CoapMessage) => void
  readonly reject: (err: Error) => void
}

type Timer = ReturnType<typeof setTimeout>

/** A reply remembered for a received message id, sent again when the message is duplicated. */
export interface SeenEntry {
  reply?: Uint8Array
  /** Creation order, compared with the peer's last session end. */
  readonly seq: number
  /** Token and code of the message, to tell a duplicate from a new message reusing the id. */
  readonly token: Uint8Array
  readonly code: string
}

/** The shared state of one endpoint. */
export class EndpointCore {
  readonly cfg: ResolvedOptions
  readonly transport: DatagramTransport
  readonly logger: Logger
  readonly stats: CoapStats = {
    requestsReceived: 0,
    requestsSent: 0,
    responsesReceived: 0,
    retransmissions: 0,
    duplicates: 0,
    timeouts: 0,
    resetsReceived: 0,
    badDatagrams: 0,
    notificationsReceived: 0,
    notificationsSent: 0,
  }
  running = false
  /** Messages received, by peer#mid: deduplication and cached replies. */
  readonly seen: ExpiringMap<string, SeenEntry>
  /** Called when a RST arrives for a NON message we sent (peer#mid). */
  readonly resetHooks: ExpiringMap<string, () => void>
  private readonly timers = new Set<Timer>()
  private readonly transmissions = new Map<string, Transmission>()
  private mid = randomInt(0x10000)
  private seenSeq = 0
  /** seenSeq at the last session end of each peer: older seen entries belong to a dead session. */
  private readonly sessionEnds: ExpiringMap<string, number>

  constructor(options: CoapEndpointOptions) {
    this.transport = options.transport
    this.logger = options.logger
    this.cfg = {
      ackTimeoutMs: options.ackTimeoutMs ?? 2000,
      ackRandomFactor: options.ackRandomFactor ?? 1.5,
      maxRetransmit: options.maxRetransmit ?? 4,
      exchangeLifetimeMs: options.exchangeLifetimeMs ?? 247_000,
      piggybackDelayMs: options.piggybackDelayMs ?? 1000,
      responseTimeoutMs: options.responseTimeoutMs ?? 30_000,
      blockSize: options.blockSize ?? 1024,
      maxBodySize: options.maxBodySize ?? 1024 * 1024,
    }
    this.seen = new ExpiringMap(this.cfg.exchangeLifetimeMs)
    this.resetHooks = new ExpiringMap(this.cfg.exchangeLifetimeMs)
    this.sessionEnds = new ExpiringMap(this.cfg.exchangeLifetimeMs)
  }

  /**
   * The dedup entry of a received message id, ignoring entries from an ended session: a device
   * that handshakes again may reuse message ids, which are only unique within a session.
   */
  lookupSeen(peer: PeerAddress, msg: CoapMessage): SeenEntry | undefined {
    const key = peerKey(peer)
    const entry = this.seen.get(`${key}#${msg.messageId}`)
    if (!entry) return undefined
    // A peer sending faster than 65536 messages per EXCHANGE_LIFETIME reuses ids: a different
    // token or code means a new message, not a duplicate.
    if (entry.code !== msg.code || !sameBytes(entry.token, msg.token)) return undefined
    const ended = this.sessionEnds.get(key)
    return ended !== undefined && entry.seq <= ended ? undefined : entry
  }

  /** Records a received message. */
  markSeen(peer: PeerAddress, msg: CoapMessage): SeenEntry {
    const entry: SeenEntry = { seq: ++this.seenSeq, token: msg.token, code: msg.code }
    this.seen.set(`${peerKey(peer)}#${msg.messageId}`, entry)
    return entry
  }

  /** Forgets the peer's dedup entries and stops retransmitting to it (its session is gone). */
  sessionEnded(peer: PeerAddress, reason: string): void {
    this.sessionEnds.set(peerKey(peer), this.seenSeq)
    const prefix = `${peerKey(peer)}#`
    for (const [key, tx] of [...this.transmissions]) {
      if (key.startsWith(prefix)) tx.reject(new CoapSessionEndedError(peerKey(peer), reason))
    }
  }

  /** setTimeout that stop() clears. */
  timer(fn: () => void, ms: number): Timer {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
    return t
  }

  cancelTimer(t: Timer | undefined): void {
    if (t === undefined) return
    clearTimeout(t)
    this.timers.delete(t)
  }

  nextMessageId(): number {
    this.mid = (this.mid + 1) & 0xffff
    return this.mid
  }

  /** 8 random bytes (RFC 7252 §5.3.1: tokens should be unguessable). */
  newToken(): Uint8Array {
    return new Uint8Array(randomBytes(8))
  }

  /** Encodes and sends; a send failure becomes CoapSendError. */
  async send(peer: PeerAddress, msg: CoapMessage): Promise<Uint8Array> {
    if (!this.running) throw new CoapEndpointClosedError()
    const bytes = encodeMessage(msg)
    await this.sendBytes(peer, bytes)
    return bytes
  }

  async sendBytes(peer: PeerAddress, bytes: Uint8Array): Promise<void> {
    try {
      await this.transport.send(peer, bytes)
    } catch (err) {
      throw new CoapSendError(peerKey(peer), err)
    }
  }

  /** Sends a reply without caring whether it arrives (ACK, RST, piggybacked response). */
  sendQuietly(peer: PeerAddress, msg: CoapMessage): Uint8Array | undefined {
    if (!this.running) return undefined
    try {
      const bytes = encodeMessage(msg)
      // Straight to the transport (no sendBytes wrapper: one promise less per reply); the error is only logged.
      this.transport.send(peer, bytes).catch((err) => this.logger.debug({ err: new CoapSendError(peerKey(peer), err), peer: peerKey(peer) }, 'coap reply not sent'))
      return bytes
    } catch (err) {
      this.logger.warn({ err }, 'coap reply not encodable')
      return undefined
    }
  }

  /**
   * Sends a CON and retransmits it with exponential backoff until an ACK or RST with its message
   * id arrives. Resolves with the ACK (empty or carrying a piggybacked response); rejects with
   * CoapResetError on RST and CoapTimeoutError after MAX_RETRANSMIT retransmissions.
   */
  sendConfirmable(peer: PeerAddress, msg: CoapMessage, what: string): Promise<CoapMessage> {
    if (!this.running) return Promise.reject(new CoapEndpointClosedError())
    const key = `${peerKey(peer)}#${msg.messageId}`
    return new Promise<CoapMessage>((resolve, reject) => {
      const bytes = encodeMessage(msg)
      const { ackTimeoutMs, ackRandomFactor } = this.cfg
      const tx: Transmission = {
        peer,
        bytes,
        what,
        retries: 0,
        timeoutMs: ackTimeoutMs * (1 + Math.random() * (ackRandomFactor - 1)),
        resolve: (reply) => {
          this.finishTransmission(key)
          resolve(reply)
        },
        reject: (err) => {
          this.finishTransmission(key)
          reject(err)
        },
      }
      this.transmissions.set(key, tx)
      this.transmit(key, tx)
    })
  }

  private transmit(key: string, tx: Transmission): void {
    this.sendBytes(tx.peer, tx.bytes).catch((err) => tx.reject(err))
    tx.timer = this.timer(() => {
      if (this.transmissions.get(key) !== tx) return
      if (tx.retries >= this.cfg.maxRetransmit) {
        this.stats.timeouts++
        tx.reject(new CoapTimeoutError(`${tx.what} to ${peerKey(tx.peer)} not acknowledged`, `${tx.retries} retransmissions`))
        return
      }
      tx.retries++
      tx.timeoutMs *= 2
      this.stats.retransmissions++
      this.transmit(key, tx)
    }, tx.timeoutMs)
  }

  private finishTransmission(key: string): void {
    const tx = this.transmissions.get(key)
    if (!tx) return
    this.cancelTimer(tx.timer)
    this.transmissions.delete(key)
  }

  /** Stops retransmitting a CON (e.g. its separate response arrived before its ACK). */
  abandonTransmission(peer: PeerAddress, messageId: number): void {
    this.finishTransmission(`${peerKey(peer)}#${messageId}`)
  }

  /** Routes an ACK or RST to the CON it answers; false if none is pending. */
  settleTransmission(peer: PeerAddress, msg: CoapMessage): boolean {
    const key = `${peerKey(peer)}#${msg.messageId}`
    const tx = this.transmissions.get(key)
    if (!tx) return false
    if (msg.type === 'RST') {
      this.stats.resetsReceived++
      tx.reject(new CoapResetError(`${tx.what} to ${peerKey(peer)}`))
    } else tx.resolve(msg)
    return true
  }

  /** Clears every timer and rejects every pending transmission. */
  shutdown(): void {
    this.running = false
    for (const tx of [...this.transmissions.values()]) tx.reject(new CoapEndpointClosedError())
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.seen.clear()
    this.resetHooks.clear()
    this.sessionEnds.clear()
  }

  get pendingTransmissions(): number {
    return this.transmissions.size
  }
}

/** Hex of a token, for map keys. */
export function tokenHex(token: Uint8Array): string {
  return Buffer.from(token.buffer, token.byteOffset, token.length).toString('hex')
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
