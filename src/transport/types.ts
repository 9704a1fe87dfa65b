/**
 * The transport layer's interfaces, and the only file of it that `src/lwm2m/` may import
 * (DESIGN.md, layer table). Two seams:
 * - between the datagram layers (UDP, DTLS) and the CoAP endpoint: the endpoint only sees
 *   `DatagramTransport`; whether bytes travel in clear or inside a DTLS session is the
 *   transport's business;
 * - between the CoAP endpoint and the protocol logic above it: the request/response shapes, the
 *   requesting side of an endpoint, and the kinds of transport failure, so that lwm2m translates
 *   CoAP to LwM2M (request/translate.ts) without knowing how the endpoint is built.
 * This file imports nothing.
 */

/** A remote UDP address. */
export interface PeerAddress {
  readonly address: string
  readonly port: number
}

/** `address:port` (IPv6 in brackets): the key under which sessions and exchanges are kept. */
export function peerKey(peer: PeerAddress): string {
  return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`
}

/** One datagram received from a peer. */
export interface InboundDatagram {
  readonly peer: PeerAddress
  readonly data: Uint8Array
  /**
   * The PSK identity the DTLS session authenticated, as received (UTF-8 decoded). Undefined over
   * plain UDP. The layer above must check it against the endpoint the peer claims to be.
   */
  readonly identity?: string
}

/** Why a session ended. */
export type SessionEndReason = 'closed' | 'expired' | 'replaced' | 'revoked' | 'alert' | 'shutdown'

/** A datagram channel bound to one local socket: plain UDP, or DTLS sessions over it. */
export interface DatagramTransport {
  /** 'udp' or 'dtls'. */
  readonly kind: 'udp' | 'dtls'
  /** Binds the socket; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<PeerAddress>
  /** The bound address; throws before listen() resolved. */
  address(): PeerAddress
  /**
   * Sends one datagram to a peer. Over DTLS the peer must have an established session (a server
   * cannot open one) and the bytes are sent as application data inside it; rejects otherwise.
   */
  send(peer: PeerAddress, data: Uint8Array): Promise<void>
  /** Registers the handler for received datagrams (application data over DTLS). */
  onDatagram(handler: (datagram: InboundDatagram) => void): void
  /** Registers a handler called when a peer's session ends (DTLS only; never called over UDP). */
  onSessionEnd(handler: (peer: PeerAddress, identity: string | undefined, reason: SessionEndReason) => void): void
  /** Ends one peer's session (revocation): close_notify, state dropped. No-op over UDP. */
  closeSession(peer: PeerAddress, reason?: SessionEndReason): void
  /** Closes every session (close_notify) and the socket. */
  close(): Promise<void>
}

/** Looks up the PSK of an identity; undefined for an unknown one. Must not block on I/O it can avoid. */
export type PskLookup = (identity: string) => Promise<Uint8Array | undefined>

// ---- The CoAP seam (RFC 7252): what a caller sends and receives, what a handler sees ----

export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'FETCH' | 'PATCH' | 'iPATCH'

/** One option instance; repeated options (Uri-Path...) are several entries with the same number. */
export interface CoapOption {
  readonly number: number
  readonly value: Uint8Array
}

/** A request as a handler receives it (payload reassembled from Block1). */
export interface CoapRequest {
  readonly method: CoapMethod
  /** Uri-Path segments, e.g. ["rd"] or ["3", "0", "1"]. */
  readonly path: readonly string[]
  /** Uri-Query strings, e.g. ["ep=x", "lt=300"]. */
  readonly query: readonly string[]
  readonly contentFormat?: number
  readonly accept?: number
  /** Observe option: 0 register, 1 deregister. */
  readonly observe?: number
  readonly payload: Uint8Array
  /** Every option as received (including the ones lifted into fields). */
  readonly options: readonly CoapOption[]
  readonly confirmable: boolean
}

/** What a caller gives to `request()`: everything but the method is optional. */
export interface CoapRequestInit {
  readonly method: CoapMethod
  readonly path?: readonly string[]
  readonly query?: readonly string[]
  readonly contentFormat?: number
  readonly accept?: number
  readonly observe?: number
  readonly payload?: Uint8Array | string
  /** Extra options (ETag, Uri-Host...), added as they are. */
  readonly options?: readonly CoapOption[]
  /** CON (default) or NON. */
  readonly confirmable?: boolean
}

/** A response as a caller receives it (payload reassembled from Block2). */
export interface CoapResponse {
  /** "2.05", "4.04"... */
  readonly code: string
  readonly contentFormat?: number
  readonly observe?: number
  readonly locationPath: readonly string[]
  readonly locationQuery: readonly string[]
  readonly payload: Uint8Array
  readonly options: readonly CoapOption[]
}

/** What a handler returns: a code and optionally content. */
export interface CoapResponseInit {
  readonly code: string
  readonly contentFormat?: number
  readonly payload?: Uint8Array | string
  readonly locationPath?: readonly string[]
  readonly locationQuery?: readonly string[]
  readonly maxAge?: number
  readonly options?: readonly CoapOption[]
}

/** Per-call options of request(). */
export interface CoapRequestOptions {
  /** Overrides the endpoint's responseTimeoutMs for this request. */
  readonly responseTimeoutMs?: number
}

/** A client-side observation, returned by observe(). */
export interface CoapObservation {
  /** The response to the Observe=0 request; `first.observe` is undefined if the peer declined. */
  readonly first: CoapResponse
  /** Deregisters with the same request (method, options, payload) and Observe=1 (RFC 7641 §3.6); later notifications are Reset. */
  cancel(): Promise<void>
  /** False once the relation ended (cancelled, error notification, session ended, endpoint stopped). */
  readonly active: boolean
}

/** The requesting side of a CoAP endpoint (a CoapEndpoint satisfies it). */
export interface CoapRequester {
  request(peer: PeerAddress, req: CoapRequestInit, opts?: CoapRequestOptions): Promise<CoapResponse>
  observe(peer: PeerAddress, req: CoapRequestInit, onNotification: (res: CoapResponse) => void): Promise<CoapObservation>
}

// ---- Transport failures, by kind (as Leshan types them: timeout, reset, session...) ----

/**
 * Why an exchange failed below the application: no ACK/response in time, the peer sent Reset, no
 * DTLS session to send in, the session ended meanwhile, the endpoint stopped, a block-wise
 * transfer broke.
 */
export type TransportFailureKind = 'timeout' | 'reset' | 'no-session' | 'session-ended' | 'closed' | 'block'

/** What every transport error of an exchange carries: its kind, read by the layer above. */
export interface TransportFailure {
  readonly transportFailure: TransportFailureKind
}

const FAILURE_KINDS: ReadonlySet<string> = new Set<TransportFailureKind>(['timeout', 'reset', 'no-session', 'session-ended', 'closed', 'block'])

/** The kind of a transport failure; undefined for any other error (or non-error). */
export function transportFailureOf(err: unknown): TransportFailureKind | undefined {
  const kind = typeof err === 'object' && err !== null ? (err as Partial<TransportFailure>).transportFailure : undefined
  return typeof kind === 'string' && FAILURE_KINDS.has(kind) ? (kind as TransportFailureKind) : undefined
}
