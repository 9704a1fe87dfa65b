/**
 * DTLS 1.2 PSK server transport (RFC 6347, RFC 4279) on node:crypto, implementing
 * `DatagramTransport` of kind 'dtls'.
 */
export { createDtlsTransport, type DtlsTransport, type DtlsTransportOptions, type DtlsStats, type DtlsSessionInfo } from './server.js'
export { DtlsError, type DtlsErrorCode } from './errors.js'
export { CipherSuite } from './cipher.js'
