/** Public API of the transport layer: UDP, DTLS and the CoAP endpoint over either. */
export * from './types.js'
export { createUdpTransport, TransportNotListeningError, type UdpTransportOptions } from './udp.js'
export * from './coap/index.js'
export * from './dtls/index.js'
export { createDtlsClientTransport, type DtlsClientOptions, type DtlsClientCipher } from './dtls/client.js'
