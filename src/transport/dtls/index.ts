/**
 * DTLS 1.2 PSK server transport (RFC 6347, RFC 4279) on node:crypto, implementing
 * `DatagramTransport` of kind 'dtls'.
 *
 * - Suites, by server preference: TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CBC_SHA256.
 *   Extended master secret (RFC 7627), an empty renegotiation_info (RFC 5746) and, for CBC,
 *   encrypt_then_mac (RFC 7366) when offered; session tickets are declined; no resumption, no
 *   renegotiation. CBC without encrypt_then_mac decrypts with padding-independent work.
 * - A ClientHello without a valid cookie gets a stateless HelloVerifyRequest (time-derived
 *   secrets); state exists only after the cookie verified, bounded by maxHandshakes,
 *   maxHandshakesPerAddress, maxSessions and maxSessionsPerIdentity. The ClientHello itself must
 *   arrive unfragmented (as OpenSSL's DTLSv1_listen also requires); later messages may be
 *   fragmented, coalesced and reordered.
 * - An unknown identity continues with a random key, so it fails exactly like a wrong key: a
 *   handshake_failure alert and a warn line naming the identity (never a key).
 * - Inbound application data carries `identity` (the strict UTF-8 decoding of its bytes); a new
 *   completed handshake from the same address, or of the same identity beyond
 *   maxSessionsPerIdentity, replaces the old session ('replaced'); sessions that receive nothing for sessionIdleTimeoutMs
 *   end ('expired', no close_notify); closeSession/close send close_notify.
 */
export { createDtlsTransport, type DtlsTransport, type DtlsTransportOptions, type DtlsStats, type DtlsSessionInfo } from './server.js'
export { DtlsError, type DtlsErrorCode } from './errors.js'
export { CipherSuite } from './cipher.js'
