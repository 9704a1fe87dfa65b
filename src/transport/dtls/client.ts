import { dtls } from 'node-dtls-client'
import type { Logger } from '../../logger.js'
import { peerKey, type DatagramTransport, type InboundDatagram, type PeerAddress, type SessionEndReason } from '../types.js'
import { DtlsError } from './errors.js'

/** Cipher suites node-dtls-client can offer that our server accepts. */
export type DtlsClientCipher = 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256'

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
  /** Handshake timeout; default 5 s. */
  timeoutMs?: number
  logger?: Logger
}

/**
 * A DTLS-PSK client transport on node-dtls-client, for our tests and the device simulator.
 * `listen()` performs the handshake and resolves with the local address; `send` and
 * `onDatagram` talk to the one server.
 */
export function createDtlsClientTransport(options: DtlsClientOptions): DatagramTransport {
  const server = options.peer
  const datagramHandlers: Array<(d: InboundDatagram) => void> = []
  const endHandlers: Array<(peer: PeerAddress, identity: string | undefined, reason: SessionEndReason) => void> = []
  let socket: dtls.Socket | undefined
  let local: PeerAddress | undefined
  let connected = false
  let ended = false

  const end = (reason: SessionEndReason): void => {
    if (ended || !connected) return
    ended = true
    for (const h of endHandlers) h(server, undefined, reason)
  }

  const transport: DatagramTransport = {
    kind: 'dtls',
    listen() {
      if (socket) return Promise.reject(new DtlsError('LWC_DTLS_CLOSED', 'DTLS client already started'))
      // node-dtls-client turns identity and key into bytes with Buffer.from(s, 'ascii'), which is
      // latin1 in Node: passing latin1 strings of the raw bytes keeps any byte value intact.
      const identity = Buffer.from(options.identity, 'utf8').toString('latin1')
      const psk = Buffer.from(options.key).toString('latin1')
      return new Promise<PeerAddress>((resolve, reject) => {
        const s = dtls.createSocket({
          type: server.address.includes(':') ? 'udp6' : 'udp4',
          address: server.address,
          port: server.port,
          psk: { [identity]: psk },
          timeout: options.timeoutMs ?? 5_000,
          ciphers: options.ciphers ?? ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'],
        })
        socket = s
        s.on('connected', () => {
          connected = true
          // The UDP socket is private in node-dtls-client; its address is what the server sees.
          const udp = (s as unknown as { udp: { address(): { address: string; port: number } } }).udp
          const a = udp.address()
          // Unbound wildcard: report the address the server sees on loopback.
          const wildcard = a.address === '0.0.0.0' || a.address === '::'
          local = { address: wildcard && isLoopback(server.address) ? server.address : a.address, port: a.port }
          resolve(local)
        })
        s.on('message', (msg: Buffer) => {
          for (const h of datagramHandlers) h({ peer: server, data: new Uint8Array(msg) })
        })
        s.on('error', (err: Error) => {
          if (!connected) {
            const timeout = /timed out/i.test(err.message)
            const code = timeout ? 'LWC_DTLS_HANDSHAKE_TIMEOUT' : 'LWC_DTLS_HANDSHAKE'
            reject(new DtlsError(code, `DTLS handshake with ${peerKey(server)} ${timeout ? 'timed out' : 'failed'}`, { details: err.message, cause: err }))
            return
          }
          options.logger?.debug({ peer: peerKey(server), err }, 'DTLS client error')
          end('alert')
        })
        s.on('close', () => end('closed'))
      })
    },
    address() {
      if (!local) throw new DtlsError('LWC_DTLS_NOT_LISTENING', 'DTLS client is not connected')
      return local
    },
    async send(peer, data) {
      if (!socket || !connected || ended) throw new DtlsError('LWC_DTLS_NO_SESSION', `no DTLS session with ${peerKey(peer)}`)
      if (peerKey(peer) !== peerKey(server)) throw new DtlsError('LWC_DTLS_NO_SESSION', `this client only talks to ${peerKey(server)}`)
      socket.send(Buffer.from(data))
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
      const s = socket
      if (!s || ended) {
        ended = true
        return
      }
      if (!connected) {
        // Handshake in progress: node-dtls-client has no abort; its close needs a record layer.
        ended = true
        try {
          ;(s as unknown as { killConnection(err?: Error): void }).killConnection()
        } catch {
          // already gone
        }
        return
      }
      await new Promise<void>((resolve) => {
        try {
          s.close(() => resolve())
        } catch {
          resolve()
        }
      })
      end('closed')
    },
  }
  return transport
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost'
}
