/**
 * The DTLS 1.2 PSK server (RFC 6347) every LwM2M device talks to. Ours because npm has no PSK DTLS
 * server at all (node-dtls-client is a client only; node:tls has no DTLS). It carries each
 * session's authenticated identity to the CoAP layer (the endpoint check), lets a revocation close
 * a session, and caps sessions per identity and handshakes per address (docs/DESIGN.md).
 */
import dgram from 'node:dgram'
import type { Logger } from '../../logger.js'
import { literalLookup } from '../literal-lookup.js'
import { peerKey, type DatagramTransport, type InboundDatagram, type PeerAddress, type PskLookup, type SessionEndReason } from '../types.js'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import { chooseCipherSuite, isCbcSuite, SERVER_PREFERENCE, type CipherSuiteId } from './cipher.js'
import { Connection, isWholeClientHello, type ConnectionContext } from './connection.js'
import { CookieJar } from './cookie.js'
import { DtlsError } from './errors.js'
import { HandshakeType, parseHandshakeFragments, serializeHandshake, type HandshakeFragment } from './handshake.js'
import { HandshakeState } from './handshake-state.js'
import { ExtensionType, parseClientHello, RENEGOTIATION_SCSV, serializeHelloVerifyRequest, type ClientHello } from './hello.js'
import { ContentType, DTLS_1_0, DTLS_1_2, parseRecords, serializeRecord, type DtlsRecord } from './record.js'

/** Options of `createDtlsTransport`. */
export interface DtlsTransportOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string
  /** Port to bind; default 0 (a free port). */
  port?: number
  /** Asynchronous PSK lookup by identity: the strict UTF-8 decoding of its bytes (bytes that are not UTF-8 are never looked up). */
  pskLookup: PskLookup
  logger: Logger
  /** A handshake not finished after this long is dropped; default 30 s. */
  handshakeTimeoutMs?: number
  /** A session that received nothing for this long is dropped; default 30 min. */
  sessionIdleTimeoutMs?: number
  /**
   * Most established sessions. Beyond it a handshake fails at its end (handshake_failure) unless
   * it replaces a session of the same identity or address. Default 10 000.
   */
  maxSessions?: number
  /** Most handshakes in progress (after the cookie exchange). Default 1 000. */
  maxHandshakes?: number
  /**
   * Most sessions of one PSK identity; a new one ends the oldest ('replaced'), as a device that
   * rebooted onto a new port expects. Default 1.
   */
  maxSessionsPerIdentity?: number
  /**
   * Most handshakes in progress from one IP address (none is authenticated before its Finished),
   * so that one host cannot take the whole maxHandshakes budget. Default 100.
   */
  maxHandshakesPerAddress?: number
  /** A handshake still without a ClientKeyExchange after this long is dropped; default 10 s (at most handshakeTimeoutMs). */
  keyExchangeTimeoutMs?: number
  /** Negotiate encrypt_then_mac (RFC 7366) for CBC when the client offers it; default true. */
  encryptThenMac?: boolean
  /**
   * Accept CBC with MAC-then-encrypt from a client that does not offer encrypt_then_mac. Default
   * false: such a client gets CCM_8 only. Its decryption gives HMAC padding-independent work
   * (cbc-sha256.ts), but node:crypto's HMAC cannot be made constant time in the strict sense, so
   * the Lucky Thirteen-shaped path is opt-in, for legacy clients.
   */
  cbcMacThenEncrypt?: boolean
  /** The suites to accept (default both, CCM_8 preferred); the server's preference order is kept. */
  cipherSuites?: readonly CipherSuiteId[]
  /** First flight retransmission timeout, doubled up to 60 s; default 1 s (RFC 6347 4.2.4.1). */
  retransmitInitialMs?: number
  /** PSK identity hint sent in a ServerKeyExchange; none by default (some small clients break on one, node-dtls-client 1.1.1 did). */
  identityHint?: string
}

/** Counters of a DTLS transport. */
export interface DtlsStats {
  /** Datagrams received. */
  datagrams: number
  /** Peers with any state (handshake or session). */
  connections: number
  sessions: number
  handshakes: number
  helloVerifyRequests: number
  handshakesCompleted: number
  handshakesFailed: number
  /** Datagrams (or records of them) discarded as malformed, unauthenticated or unsolicited. */
  dropped: number
  /** Sessions ended because the same identity completed a newer one (maxSessionsPerIdentity). */
  sessionsReplaced: number
  /** Handshakes whose PSK identity the lookup did not know, or that was not UTF-8 (one cause of failed handshakes). */
  unknownIdentities: number
}

/** One established session, as listed by `sessions()`. */
export interface DtlsSessionInfo {
  readonly peer: PeerAddress
  readonly identity: string
  /** Epoch milliseconds of the last authenticated record received. */
  readonly lastActivity: number
  readonly suite: CipherSuiteId
  /** RFC 7366 encrypt_then_mac in use (CBC only). */
  readonly encryptThenMac: boolean
}

/** The DTLS server transport: `DatagramTransport` plus counters and the session list. */
export type DtlsTransport = DatagramTransport & {
  stats(): DtlsStats
  /** Established sessions, e.g. to revoke every session of an identity with closeSession. */
  sessions(): DtlsSessionInfo[]
}

/** Creates a DTLS 1.2 PSK server transport (RFC 6347, RFC 4279) on one UDP socket. */
export function createDtlsTransport(options: DtlsTransportOptions): DtlsTransport {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000
  const sessionIdleTimeoutMs = options.sessionIdleTimeoutMs ?? 30 * 60_000
  const maxSessions = options.maxSessions ?? 10_000
  const maxHandshakes = options.maxHandshakes ?? 1_000
  const retransmitInitialMs = options.retransmitInitialMs ?? 1_000
  const maxSessionsPerIdentity = options.maxSessionsPerIdentity ?? 1
  const maxHandshakesPerAddress = options.maxHandshakesPerAddress ?? 100
  const keyExchangeTimeoutMs = Math.min(options.keyExchangeTimeoutMs ?? 10_000, handshakeTimeoutMs)
  const encryptThenMac = options.encryptThenMac ?? true
  const cbcMacThenEncrypt = options.cbcMacThenEncrypt ?? false
  const suites = new Set<number>(options.cipherSuites ?? SERVER_PREFERENCE)
  if (![...suites].every((x) => SERVER_PREFERENCE.includes(x as CipherSuiteId)) || suites.size === 0) {
    throw new DtlsError('LWC_DTLS_OPTIONS', 'cipherSuites must be a non-empty list of CipherSuite values', { details: String(options.cipherSuites) })
  }
  const identityHint = options.identityHint === undefined ? undefined : Buffer.from(options.identityHint, 'utf8')
  validate({ handshakeTimeoutMs, sessionIdleTimeoutMs, retransmitInitialMs, keyExchangeTimeoutMs, maxSessionsPerIdentity }, 1)
  validate({ maxSessions, maxHandshakes, maxHandshakesPerAddress }, 0)
  // Our flights are never fragmented, so the hint must keep the ServerKeyExchange small.
  if (identityHint && identityHint.length > 128) throw new DtlsError('LWC_DTLS_OPTIONS', 'identityHint is longer than 128 bytes')

  const conns = new Map<string, Connection>()
  const cookies = new CookieJar()
  const datagramHandlers: Array<(d: InboundDatagram) => void> = []
  const endHandlers: Array<(peer: PeerAddress, identity: string | undefined, reason: SessionEndReason) => void> = []
  const counters = { datagrams: 0, sessions: 0, handshakes: 0, helloVerifyRequests: 0, handshakesCompleted: 0, handshakesFailed: 0, dropped: 0, sessionsReplaced: 0, unknownIdentities: 0 }
  /** Handshakes in progress per IP address (maxHandshakesPerAddress). */
  const handshakesByAddress = new Map<string, number>()
  /** Connections holding a session, per identity, oldest first (maxSessionsPerIdentity). */
  const sessionsByIdentity = new Map<string, Set<Connection>>()
  let socket: dgram.Socket | undefined
  let bound: PeerAddress | undefined
  let sweeper: NodeJS.Timeout | undefined
  let closed = false
  let socketClosed = false

  const sendRaw = (peer: PeerAddress, datagram: Buffer): void => {
    if (!socket || socketClosed) return
    try {
      // No callback: node then tries a synchronous send first (no completion to wait for, no
      // callback per datagram). A datagram the kernel refuses is lost, as UDP may lose it anyway;
      // the retransmission timers of both sides cover it.
      socket.send(datagram, peer.port, peer.address)
    } catch (err) {
      logger.debug({ peer: peerKey(peer), err }, 'DTLS send failed')
    }
  }

  const forget = (conn: Connection): void => {
    if (conns.get(conn.key) === conn && conn.empty && !conn.busy) conns.delete(conn.key)
  }

  const ctx: ConnectionContext = {
    logger,
    pskLookup: options.pskLookup,
    identityHint,
    retransmitInitialMs,
    retransmitMaxMs: 60_000,
    // Half the handshake budget, so that a slow store still ends in an alert rather than silence.
    lookupTimeoutMs: handshakeTimeoutMs / 2,
    sendRaw,
    deliver(peer, data, identity) {
      for (const h of datagramHandlers) {
        try {
          h({ peer, data, identity })
        } catch (err) {
          logger.error({ peer: peerKey(peer), err }, 'datagram handler threw')
        }
      }
    },
    handshakeStarted(conn) {
      counters.handshakes++
      handshakesByAddress.set(conn.peer.address, (handshakesByAddress.get(conn.peer.address) ?? 0) + 1)
    },
    identityUnknown() {
      counters.unknownIdentities++
    },
    handshakeEnded(conn, ok) {
      counters.handshakes--
      const n = (handshakesByAddress.get(conn.peer.address) ?? 1) - 1
      if (n > 0) handshakesByAddress.set(conn.peer.address, n)
      else handshakesByAddress.delete(conn.peer.address)
      if (ok) counters.handshakesCompleted++
      else counters.handshakesFailed++
    },
    settled: forget,
    admitSession(conn, identity) {
      // A session that will replace one of the same identity takes no new room: a device that
      // rebooted onto a new port gets back in even when the server is full.
      if (counters.sessions < maxSessions || (sessionsByIdentity.get(identity)?.size ?? 0) >= maxSessionsPerIdentity) return true
      if (throttle()) logger.warn({ peer: conn.key, identity, maxSessions }, 'DTLS session refused: too many sessions')
      return false
    },
    sessionStarted(conn) {
      counters.sessions++
      const identity = conn.session!.identity
      let held = sessionsByIdentity.get(identity)
      if (!held) sessionsByIdentity.set(identity, (held = new Set()))
      held.add(conn)
      // The oldest go first; a device that rebooted onto a new port leaves its old session behind.
      for (const old of held) {
        if (held.size <= maxSessionsPerIdentity) break
        if (old === conn) continue
        counters.sessionsReplaced++
        old.replaceSession()
        forget(old)
      }
    },
    sessionEnded(conn, identity, reason) {
      counters.sessions--
      const held = sessionsByIdentity.get(identity)
      if (held?.delete(conn) && held.size === 0) sessionsByIdentity.delete(identity)
      logger.debug({ peer: conn.key, identity, reason }, 'DTLS session ended')
      for (const h of endHandlers) {
        try {
          h(conn.peer, identity, reason)
        } catch (err) {
          logger.error({ peer: conn.key, err }, 'session-end handler threw')
        }
      }
    },
  }

  // Refusals under load are logged at most once a second: a flood must not become a log flood.
  let lastRefusalLog = 0
  const throttle = (): boolean => {
    const now = Date.now()
    if (now - lastRefusalLog < 1000) return false
    lastRefusalLog = now
    return true
  }

  /** The stateless part: answers a ClientHello without a valid cookie, admits one with it. */
  const handleClientHello = (peer: PeerAddress, key: string, record: DtlsRecord, fragment: HandshakeFragment): void => {
    // An initial handshake starts at message_seq 0 (1 after the cookie); a large one would also
    // overflow our own 16-bit numbering.
    if (fragment.messageSeq > 8) {
      counters.dropped++
      return
    }
    let hello: ClientHello
    try {
      hello = parseClientHello(fragment.body)
    } catch {
      counters.dropped++
      return
    }
    if (hello.cookie.length === 0 || !cookies.verify(key, hello)) {
      const hvr = serializeHandshake({
        msgType: HandshakeType.helloVerifyRequest,
        messageSeq: fragment.messageSeq,
        body: serializeHelloVerifyRequest(cookies.make(key, hello)),
      })
      // The record number mirrors the ClientHello's (RFC 6347 4.2.1): no state needed.
      sendRaw(peer, serializeRecord({ type: ContentType.handshake, version: DTLS_1_0, epoch: 0, seq: record.seq, fragment: hvr }))
      counters.helloVerifyRequests++
      return
    }
    const etmOffered = encryptThenMac && hello.extensions.has(ExtensionType.encryptThenMac)
    const suite = chooseCipherSuite(hello.cipherSuites, (s) => suites.has(s) && (!isCbcSuite(s) || etmOffered || cbcMacThenEncrypt))
    // DTLS versions count down: 0xfefd (1.2) is numerically below 0xfeff (1.0).
    const versionOk = hello.clientVersion <= DTLS_1_2
    if (!suite || !versionOk || !hello.compressionMethods.includes(0)) {
      logger.info({ peer: key, offered: hello.cipherSuites.map((s) => s.toString(16)) }, 'DTLS handshake refused: no common cipher suite or version')
      const desc = versionOk ? AlertDescription.handshakeFailure : AlertDescription.protocolVersion
      sendRaw(peer, serializeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, seq: record.seq, fragment: serializeAlert(AlertLevel.fatal, desc) }))
      counters.handshakesFailed++
      return
    }
    let conn = conns.get(key)
    if (!conn?.handshake && counters.handshakes >= maxHandshakes) {
      if (throttle()) logger.warn({ peer: key, maxHandshakes }, 'DTLS handshake refused: too many handshakes in progress')
      counters.dropped++
      return
    }
    if (!conn?.handshake && (handshakesByAddress.get(peer.address) ?? 0) >= maxHandshakesPerAddress) {
      if (throttle()) logger.warn({ peer: key, maxHandshakesPerAddress }, 'DTLS handshake refused: too many handshakes in progress from this address')
      counters.dropped++
      return
    }
    if (!conn) {
      conn = new Connection(peer, key, ctx)
      conns.set(key, conn)
    }
    const helloBytes = serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: fragment.messageSeq, body: fragment.body })
    const renegotiation = hello.extensions.has(ExtensionType.renegotiationInfo) || hello.cipherSuites.includes(RENEGOTIATION_SCSV)
    const ems = hello.extensions.has(ExtensionType.extendedMasterSecret)
    const etm = etmOffered && isCbcSuite(suite)
    conn.startHandshake(new HandshakeState(hello, helloBytes, fragment.messageSeq, record.seq, suite, ems, renegotiation, retransmitInitialMs, etm))
    forget(conn)
  }

  const onMessage = (data: Buffer, rinfo: dgram.RemoteInfo): void => {
    const peer: PeerAddress = { address: rinfo.address, port: rinfo.port }
    const key = peerKey(peer)
    counters.datagrams++
    const datagram = counters.datagrams
    const records = parseRecords(data)
    if (records.length === 0) {
      counters.dropped++
      return
    }
    for (const record of records) {
      if (record.epoch === 0 && record.type === ContentType.handshake) {
        let fragments: HandshakeFragment[] | undefined
        try {
          fragments = parseHandshakeFragments(record.fragment)
        } catch {
          counters.dropped++
          continue
        }
        if (fragments.length === 1 && isWholeClientHello(fragments[0])) {
          handleClientHello(peer, key, record, fragments[0])
          continue
        }
      }
      const conn = conns.get(key)
      if (!conn || !conn.enqueue(record, datagram)) counters.dropped++
    }
    conns.get(key)?.endOfDatagram(datagram)
  }

  const sweep = (): void => {
    const now = Date.now()
    for (const conn of [...conns.values()]) {
      const hs = conn.handshake
      // Before its ClientKeyExchange a handshake has cost the peer one round trip: it gets less time.
      const limit = hs?.phase === 'wait_client_key_exchange' ? keyExchangeTimeoutMs : handshakeTimeoutMs
      if (hs && now - hs.startedAt > limit) conn.expireHandshake()
      if (conn.session && now - conn.session.lastActivity > sessionIdleTimeoutMs) conn.expireSession()
      forget(conn)
    }
  }

  const transport: DtlsTransport = {
    kind: 'dtls',
    listen() {
      if (socket) return Promise.reject(new DtlsError('LWC_DTLS_CLOSED', 'DTLS transport already listening'))
      return new Promise<PeerAddress>((resolve, reject) => {
        const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', lookup: literalLookup })
        socket = s
        s.once('error', reject)
        s.on('message', (msg, rinfo) => {
          try {
            onMessage(msg, rinfo)
          } catch (err) {
            counters.dropped++
            logger.debug({ err }, 'DTLS datagram dropped')
          }
        })
        s.bind(options.port ?? 0, host, () => {
          s.off('error', reject)
          s.on('error', (err) => logger.warn({ err }, 'DTLS socket error'))
          const a = s.address()
          bound = { address: a.address, port: a.port }
          const period = Math.max(20, Math.min(keyExchangeTimeoutMs, sessionIdleTimeoutMs, 10_000) / 4)
          sweeper = setInterval(sweep, period)
          sweeper.unref()
          logger.info({ address: peerKey(bound) }, 'DTLS transport listening')
          resolve(bound)
        })
      })
    },
    address() {
      if (!bound) throw new DtlsError('LWC_DTLS_NOT_LISTENING', 'DTLS transport is not listening')
      return bound
    },
    async send(peer, data) {
      if (closed) throw new DtlsError('LWC_DTLS_CLOSED', 'DTLS transport is closed')
      if (data.length > 16384) throw new DtlsError('LWC_DTLS_TOO_LARGE', `datagram of ${data.length} bytes exceeds one DTLS record (16384)`)
      const conn = conns.get(peerKey(peer))
      if (!conn || !conn.sendApplicationData(data)) {
        throw new DtlsError('LWC_DTLS_NO_SESSION', `no DTLS session with ${peerKey(peer)}`)
      }
    },
    onDatagram(handler) {
      datagramHandlers.push(handler)
    },
    onSessionEnd(handler) {
      endHandlers.push(handler)
    },
    closeSession(peer, reason = 'revoked') {
      const key = peerKey(peer)
      const conn = conns.get(key)
      if (!conn) return
      conn.close(reason)
      conns.delete(key)
    },
    async close() {
      if (closed) return
      closed = true
      if (sweeper) clearInterval(sweeper)
      for (const conn of [...conns.values()]) conn.close('shutdown')
      conns.clear()
      const s = socket
      if (!s) return
      // Let the close_notify datagrams leave before the socket goes.
      await new Promise<void>((resolve) => setImmediate(resolve))
      await new Promise<void>((resolve) => s.close(() => resolve()))
      socketClosed = true
    },
    stats() {
      return { connections: conns.size, ...counters }
    },
    sessions() {
      const out: DtlsSessionInfo[] = []
      for (const conn of conns.values()) {
        const x = conn.session
        if (x) out.push({ peer: conn.peer, identity: x.identity, lastActivity: x.lastActivity, suite: x.suite, encryptThenMac: x.encryptThenMac })
      }
      return out
    },
  }
  return transport
}

function validate(values: Record<string, number>, min: number): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v) || v < min) throw new DtlsError('LWC_DTLS_OPTIONS', `${name} must be a number >= ${min}`, { details: String(v) })
  }
}
