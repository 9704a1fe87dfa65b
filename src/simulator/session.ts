/**
 * One CoAP session of the device with one server (bootstrap or LwM2M): a DTLS client transport
 * (coaps://, the handshake happens in open) or a UDP socket (coap://), and a CoAP endpoint that
 * both sends the device's requests and serves the server's through the same session.
 */
import type { Logger } from '../logger.js'
import {
  createCoapEndpoint,
  createDtlsClientTransport,
  createUdpTransport,
  type CoapEndpoint,
  type CoapRequestHandler,
  type CoapRequestInit,
  type CoapResponse,
} from '../transport/index.js'
import { peerKey, type PeerAddress } from '../transport/types.js'
import type { ServerAccount } from './default-objects.js'
import { parseServerUri } from './uri.js'

/** CoAP and DTLS timers of a device (short ones in tests). */
export interface SessionTimers {
  ackTimeoutMs?: number
  maxRetransmit?: number
  /** DTLS handshake timeout; default 5 s. */
  handshakeTimeoutMs?: number
  /** How long to wait for a separate response; default 30 s. */
  responseTimeoutMs?: number
}

/** An open session. */
export interface Session {
  readonly peer: PeerAddress
  readonly endpoint: CoapEndpoint
  request(req: CoapRequestInit): Promise<CoapResponse>
  /** Called once if the session ends without close() (server close_notify, alert). */
  onLost(listener: () => void): void
  close(): Promise<void>
  readonly closed: boolean
}

/** Opens a session to `account.uri`, serving the server's requests with `handler`. */
export async function openSession(
  account: ServerAccount,
  handler: CoapRequestHandler,
  o: { logger: Logger; timers?: SessionTimers },
): Promise<Session> {
  const { secure, peer } = parseServerUri(account.uri)
  const transport = secure
    ? createDtlsClientTransport({ peer, identity: account.identity, key: account.key, logger: o.logger, ...(o.timers?.handshakeTimeoutMs && { timeoutMs: o.timers.handshakeTimeoutMs }) })
    : createUdpTransport({ host: localHost(peer.address), port: 0, logger: o.logger })
  const endpoint = createCoapEndpoint({
    transport,
    logger: o.logger,
    ...(o.timers?.ackTimeoutMs !== undefined && { ackTimeoutMs: o.timers.ackTimeoutMs }),
    ...(o.timers?.maxRetransmit !== undefined && { maxRetransmit: o.timers.maxRetransmit }),
    ...(o.timers?.responseTimeoutMs !== undefined && { responseTimeoutMs: o.timers.responseTimeoutMs }),
    // A device keeps few exchanges: a short dedup lifetime keeps memory small with many devices.
    exchangeLifetimeMs: 60_000,
  })
  // Over plain UDP anyone can reach our port: serve only the server this session is with.
  endpoint.onRequest((req, ctx) => (peerKey(ctx.peer) === peerKey(peer) ? handler(req, ctx) : { code: '4.03' }))
  let closed = false
  let lost: (() => void) | undefined
  transport.onSessionEnd(() => {
    if (closed) return
    closed = true
    lost?.()
    // The transport is gone; release the endpoint's timers too.
    void endpoint.stop().catch(() => {})
  })
  try {
    await endpoint.start()
  } catch (err) {
    closed = true
    await endpoint.stop().catch(() => {})
    throw err
  }
  return {
    peer,
    endpoint,
    request: (req) => endpoint.request(peer, req),
    onLost(listener) {
      lost = listener
    },
    async close() {
      if (closed) return
      closed = true
      await endpoint.stop().catch(() => {})
    },
    get closed() {
      return closed
    },
  }
}

/** The local address to bind a UDP client to: loopback for a loopback server, else any. */
function localHost(server: string): string {
  const v6 = server.includes(':')
  const loopback = server.startsWith('127.') || server === '::1'
  return loopback ? (v6 ? '::1' : '127.0.0.1') : v6 ? '::' : '0.0.0.0'
}
