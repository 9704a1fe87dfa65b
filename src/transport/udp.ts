/** Plain UDP as a DatagramTransport: one socket, no sessions. */
import dgram from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { Logger } from '../logger.js'
import { literalLookup } from './literal-lookup.js'
import { LwchainError } from '../errors/base.js'
import type { DatagramTransport, InboundDatagram, PeerAddress, SessionEndReason } from './types.js'

export interface UdpTransportOptions {
  /** Address to bind; default 127.0.0.1. */
  readonly host?: string
  /** Port to bind; default 0 (a free port). */
  readonly port?: number
  readonly logger: Logger
}

/** The socket is not bound (listen() not called or close() already called). */
export class TransportNotListeningError extends LwchainError {
  override name = 'TransportNotListeningError'
  constructor(kind: string) {
    super(`${kind} transport is not listening`, { code: 'LWC_TRANSPORT_NOT_LISTENING' })
  }
}

const SENT: Promise<void> = Promise.resolve()

/** Creates a UDP transport; datagrams carry no identity. */
export function createUdpTransport(options: UdpTransportOptions): DatagramTransport {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger
  let socket: dgram.Socket | undefined
  let bound: PeerAddress | undefined
  const handlers: Array<(d: InboundDatagram) => void> = []

  return {
    kind: 'udp',
    listen() {
      if (bound) return Promise.resolve(bound)
      return new Promise((resolve, reject) => {
        const s = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: literalLookup })
        s.once('error', reject)
        s.on('message', (msg, rinfo) => {
          const datagram = { peer: { address: rinfo.address, port: rinfo.port }, data: new Uint8Array(msg.buffer, msg.byteOffset, msg.length) }
          for (const h of handlers) {
            try {
              h(datagram)
            } catch (err) {
              // A handler bug must not take the socket down with it.
              logger.error({ err }, 'udp datagram handler threw')
            }
          }
        })
        s.bind(options.port ?? 0, host, () => {
          s.off('error', reject)
          s.on('error', (err) => logger.warn({ err }, 'udp socket error'))
          socket = s
          const a = s.address()
          bound = { address: a.address, port: a.port }
          resolve(bound)
        })
      })
    },
    address() {
      if (!bound) throw new TransportNotListeningError('udp')
      return bound
    },
    send(peer, data) {
      const s = socket
      if (!s) return Promise.reject(new TransportNotListeningError('udp'))
      try {
        // No callback, as in the DTLS transport: node then tries a synchronous send first, with no
        // completion callback or promise per datagram. A later failure is the socket's 'error'
        // event (logged); a datagram the kernel refuses is lost, as UDP may lose it anyway.
        s.send(data, peer.port, peer.address)
        return SENT
      } catch (err) {
        return Promise.reject(err)
      }
    },
    onDatagram(handler) {
      handlers.push(handler)
    },
    onSessionEnd(_handler: (peer: PeerAddress, identity: string | undefined, reason: SessionEndReason) => void) {
      // UDP has no sessions.
    },
    closeSession() {},
    close() {
      const s = socket
      socket = undefined
      bound = undefined
      if (!s) return Promise.resolve()
      return new Promise((resolve) => s.close(() => resolve()))
    },
  }
}
