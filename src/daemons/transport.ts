/**
 * Builds a daemon's datagram transport: DTLS-PSK keyed by a SecurityStore's identities of one side
 * (bootstrap or server), or plain UDP for development. The composition root (commands/serve/) calls
 * it and injects the result into createServerDaemon / createBootstrapDaemon, so a daemon never
 * builds its own socket and a test or a benchmark can hand it any DatagramTransport.
 */
import type { Logger } from '../logger.js'
import type { SecurityStore } from '../lwm2m/security-store.js'
import { createDtlsTransport, createUdpTransport, type DtlsTransport, type DtlsTransportOptions } from '../transport/index.js'
import type { DatagramTransport } from '../transport/types.js'

export interface DaemonTransportOptions {
  /** Whose PSKs the DTLS handshakes use. */
  side: 'bootstrap' | 'server'
  security: SecurityStore
  logger: Logger
  /** Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port. */
  port: number
  /** DTLS-PSK (default); false = plain CoAP over UDP, no authentication (`--insecure-udp`). */
  dtls?: boolean
  /** The DTLS server's resource limits; each left out keeps the transport's default. */
  limits?: DaemonTransportLimits
}

/** The DTLS server options an operator may set (`serve … --dtls-*`); see DtlsTransportOptions for each. */
export type DaemonTransportLimits = Pick<
  DtlsTransportOptions,
  'maxSessions' | 'maxHandshakes' | 'maxHandshakesPerAddress' | 'maxSessionsPerIdentity' | 'sessionIdleTimeoutMs' | 'cbcMacThenEncrypt'
>

/** The DTLS-PSK (or plain UDP) transport of a bootstrap or LwM2M server daemon; nothing is bound until listen(). */
export function createDaemonTransport(o: DaemonTransportOptions): DatagramTransport {
  const host = o.host ?? '127.0.0.1'
  if (o.dtls === false) {
    o.logger.warn(`${o.side === 'bootstrap' ? 'bootstrap' : 'LwM2M'} server on plain UDP: no authentication (development only)`)
    return createUdpTransport({ host, port: o.port, logger: o.logger.child({ layer: 'udp' }) })
  }
  const transport: DtlsTransport = createDtlsTransport({
    host,
    port: o.port,
    logger: o.logger.child({ layer: 'dtls' }),
    // From memory (ChainView / in-memory store): a handshake never waits on the chain.
    pskLookup: async (identity) => o.security.byIdentity(identity, o.side)?.key,
    ...o.limits,
  })
  return transport
}

/** The DTLS side of a transport (sessions, handshake counters), or undefined over plain UDP. */
export function dtlsOf(transport: DatagramTransport): DtlsTransport | undefined {
  const dtls = transport as Partial<DtlsTransport>
  return transport.kind === 'dtls' && typeof dtls.sessions === 'function' && typeof dtls.stats === 'function' ? (transport as DtlsTransport) : undefined
}
