/**
 * The DTLS 1.2 PSK client of the simulator, the load generators and the tests. It replaced
 * node-dtls-client, the design card's package: that one never resent its last flight (a lost
 * Finished hung the device), and its optional native `node-aead-crypto-*` builds made `npm ci`
 * fail here. It shares record, handshake and cipher code with our server.
 */
import dgram from 'node:dgram'
import type { Logger } from '../../logger.js'
import { peerKey, type DatagramTransport, type InboundDatagram, type PeerAddress, type SessionEndReason } from '../types.js'
import { AlertDescription, AlertLevel, serializeAlert } from './alert.js'
import { CipherSuite } from './cipher.js'
import { ClientHandshake, type ClientStep } from './client-handshake.js'
import type { ClientSession } from './client-session.js'
import { DtlsError } from './errors.js'
import { ContentType, parseRecords, type DtlsRecord } from './record.js'

/** Cipher suites the client can offer (the ones our server implements). */
export type DtlsClientCipher = keyof typeof CipherSuite

/** Options of `createDtlsClientTransport`. */
export interface DtlsClientOptions {
  /** The one server this client talks to. */
  peer: PeerAddress
  /** PSK identity (sent as its UTF-8 bytes). */
  identity: string
  /** PSK (any bytes). */
  key: Uint8Array
  /** Suites to offer; default both PSK suites, CCM_8 first. */
  ciphers?: DtlsClientCipher[]
  /** Local address to bind (e.g. one of 127.0.0.x, so that a load generator is not limited to one address's ports); default any. */
  localAddress?: string
  /** Handshake timeout; default 5 s. */
  timeoutMs?: number
  /** First flight retransmission timeout, doubled after each resend up to 60 s; default 1 s (RFC 6347 4.2.4.1). */
  retransmitInitialMs?: number
  /** Most resends of one flight before the handshake fails; default 6. */
  maxRetransmits?: number
  logger?: Logger
}

const MAX_PLAINTEXT = 16384
const RETRANSMIT_MAX_MS = 60_000

/**
 * A DTLS 1.2 PSK client transport on our own DTLS code (client-handshake.ts), for the device
 * simulator, our tests and the benchmark. `listen()` performs the handshake (retransmitting its
 * flights on a doubling timer) and resolves with the local address; `send` and `onDatagram` talk
 * to the one server. The socket is connected to the server, so nothing else reaches it.
 */
export function createDtlsClientTransport(options: DtlsClientOptions): DatagramTransport {
  const server = options.peer
  const logger = options.logger
  const timeoutMs = options.timeoutMs ?? 5_000
  const retransmitInitialMs = options.retransmitInitialMs ?? 1_000
  const maxRetransmits = options.maxRetransmits ?? 6
  if (!(timeoutMs > 0) || !(retransmitInitialMs > 0) || !(maxRetransmits >= 0)) {
    throw new DtlsError('LWC_DTLS_OPTIONS', 'timeoutMs and retransmitInitialMs must be positive, maxRetransmits not negative')
  }
  const suites = (options.ciphers ?? ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256']).map((c) => CipherSuite[c])
  const datagramHandlers: Array<(d: InboundDatagram) => void> = []
  const endHandlers: Array<(peer: PeerAddress, identity: string | undefined, reason: SessionEndReason) => void> = []
  let socket: dgram.Socket | undefined
  let local: PeerAddress | undefined
  let session: ClientSession | undefined
  let ended = false
  /** Settles the pending listen(); set while the handshake runs. */
  let settle: ((err?: DtlsError) => void) | undefined

  const sendRaw = (datagram: Buffer): void => {
    try {
      socket?.send(datagram, (err) => {
        // An ICMP error from a server that is not up yet: the retransmission timer copes.
        if (err) logger?.debug({ peer: peerKey(server), err }, 'DTLS client send failed')
      })
    } catch (err) {
      logger?.debug({ peer: peerKey(server), err }, 'DTLS client send failed')
    }
  }

  const closeSocket = (): void => {
    const s = socket
    if (!s) return
    try {
      s.close()
    } catch {
      // already closed
    }
  }

  const end = (reason: SessionEndReason): void => {
    if (ended) return
    ended = true
    const hadSession = session !== undefined
    session = undefined
    closeSocket()
    if (hadSession) for (const h of endHandlers) h(server, undefined, reason)
  }

  const deliverSessionRecords = (records: DtlsRecord[]): void => {
    for (const record of records) {
      if (!session) return
      const plain = session.open(record)
      if (!plain) continue
      if (record.type === ContentType.applicationData) {
        for (const h of datagramHandlers) {
          try {
            h({ peer: server, data: plain })
          } catch (err) {
            // A failing handler is its owner's bug; it must not end the session for the others.
            logger?.error({ peer: peerKey(server), err }, 'DTLS client datagram handler threw')
          }
        }
      } else if (record.type === ContentType.alert && plain.length === 2) {
        if (plain[1] === AlertDescription.closeNotify) {
          sendRaw(session.protect(ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.closeNotify)))
          end('closed')
        } else if (plain[0] === AlertLevel.fatal) {
          logger?.info({ peer: peerKey(server), alert: plain[1] }, 'DTLS server sent a fatal alert')
          end('alert')
        }
      }
      // Handshake records here are the server's Finished again (it saw a late resend of ours) or a
      // HelloRequest: we neither renegotiate nor need to answer either.
    }
  }

  const transport: DatagramTransport = {
    kind: 'dtls',
    listen() {
      if (socket || ended) return Promise.reject(new DtlsError('LWC_DTLS_CLOSED', 'DTLS client already started'))
      const handshake = new ClientHandshake({ identity: Buffer.from(options.identity, 'utf8'), psk: options.key, cipherSuites: suites })
      const s = dgram.createSocket(server.address.includes(':') ? 'udp6' : 'udp4')
      socket = s
      return new Promise<PeerAddress>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined
        let deadline: NodeJS.Timeout | undefined
        let rto = retransmitInitialMs
        let resends = 0

        settle = (err) => {
          settle = undefined
          clearTimeout(timer)
          clearTimeout(deadline)
          if (err) {
            ended = true
            closeSocket()
            reject(err)
          } else {
            resolve(local!)
          }
        }

        const arm = (): void => {
          clearTimeout(timer)
          timer = setTimeout(() => {
            if (resends >= maxRetransmits) {
              settle?.(new DtlsError('LWC_DTLS_HANDSHAKE_TIMEOUT', `DTLS handshake with ${peerKey(server)} timed out`, { details: `no answer after ${resends} resends` }))
              return
            }
            const again = handshake.retransmit()
            if (!again) return
            resends++
            logger?.debug({ peer: peerKey(server), phase: handshake.phase, resends }, 'DTLS client resends its flight')
            sendRaw(again)
            rto = Math.min(rto * 2, RETRANSMIT_MAX_MS)
            arm()
          }, rto)
        }

        const apply = (step: ClientStep): void => {
          for (const d of step.send) sendRaw(d)
          if (step.error) {
            settle?.(step.error)
            return
          }
          if (step.session) {
            session = step.session
            const a = s.address()
            local = { address: a.address, port: a.port }
            logger?.debug({ peer: peerKey(server), suite: handshake.cipherSuite, ems: handshake.usesExtendedMasterSecret }, 'DTLS client session established')
            settle?.()
            if (step.rest?.length) deliverSessionRecords(step.rest)
            return
          }
          if (step.newFlight) {
            // A new flight answers the server's: the timer starts over (RFC 6347 4.2.4.1).
            rto = retransmitInitialMs
            resends = 0
            arm()
          }
        }

        s.on('message', (msg) => {
          try {
            if (session) deliverSessionRecords(parseRecords(msg))
            else if (settle) apply(handshake.receive(msg))
          } catch (err) {
            // A bug, not bad input (the handshake turns bad input into steps): fail loudly, once.
            logger?.error({ peer: peerKey(server), err }, 'DTLS client failed on a datagram')
            if (settle) settle(new DtlsError('LWC_DTLS_HANDSHAKE', `DTLS handshake with ${peerKey(server)} failed`, { cause: err }))
            else end('alert')
          }
        })
        // Connected UDP sockets report ICMP errors (ECONNREFUSED) here: the timers decide.
        s.on('error', (err) => logger?.debug({ peer: peerKey(server), err }, 'DTLS client socket error'))
        deadline = setTimeout(() => {
          settle?.(new DtlsError('LWC_DTLS_HANDSHAKE_TIMEOUT', `DTLS handshake with ${peerKey(server)} timed out`, { details: `no session after ${timeoutMs} ms` }))
        }, timeoutMs)
        const connectSocket = () =>
          s.connect(server.port, server.address, (err?: Error) => {
            if (!settle) return // closed or timed out meanwhile
            if (err) {
              settle(new DtlsError('LWC_DTLS_HANDSHAKE', `cannot reach ${peerKey(server)}`, { details: err.message, cause: err }))
              return
            }
            sendRaw(handshake.start())
            arm()
          })
        if (options.localAddress === undefined) connectSocket()
        else s.bind(0, options.localAddress, connectSocket)
      })
    },
    address() {
      if (!local) throw new DtlsError('LWC_DTLS_NOT_LISTENING', 'DTLS client is not connected')
      return local
    },
    async send(peer, data) {
      const s = session
      if (!s || !socket || ended) throw new DtlsError('LWC_DTLS_NO_SESSION', `no DTLS session with ${peerKey(peer)}`)
      if (peerKey(peer) !== peerKey(server)) throw new DtlsError('LWC_DTLS_NO_SESSION', `this client only talks to ${peerKey(server)}`)
      if (data.length > MAX_PLAINTEXT) throw new DtlsError('LWC_DTLS_TOO_LARGE', `datagram of ${data.length} bytes is larger than one DTLS record`)
      const record = s.protect(ContentType.applicationData, data)
      await new Promise<void>((resolve, reject) => {
        socket!.send(record, (err) => (err ? reject(new DtlsError('LWC_DTLS_NO_SESSION', `send to ${peerKey(server)} failed`, { cause: err })) : resolve()))
      })
    },
    onDatagram(handler) {
      datagramHandlers.push(handler)
    },
    onSessionEnd(handler) {
      endHandlers.push(handler)
    },
    closeSession() {
      void transport.close()
    },
    async close() {
      if (ended) return
      if (settle) {
        // A handshake in progress: abandon it; listen() rejects.
        settle(new DtlsError('LWC_DTLS_CLOSED', `DTLS client closed during the handshake with ${peerKey(server)}`))
        return
      }
      const s = socket
      if (s && session) {
        // close_notify (RFC 5246 7.2.1), sent before the socket closes; we do not wait for the answer.
        const alert = session.protect(ContentType.alert, serializeAlert(AlertLevel.warning, AlertDescription.closeNotify))
        await new Promise<void>((resolve) => {
          try {
            s.send(alert, () => resolve())
          } catch {
            resolve()
          }
        })
      }
      end('closed')
    },
  }
  return transport
}
