/**
 * The seam between the datagram layers (UDP, DTLS) and the CoAP endpoint. The CoAP endpoint only
 * sees `DatagramTransport`; whether bytes travel in clear or inside a DTLS session is the
 * transport's business. This file imports no library, so `src/lwm2m/` may depend on it.
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
