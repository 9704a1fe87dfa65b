/** Alert levels and the descriptions this server sends or reacts to (RFC 5246 7.2, RFC 4279). */
export const AlertLevel = { warning: 1, fatal: 2 } as const
export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  handshakeFailure: 40,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  noRenegotiation: 100,
  unknownPskIdentity: 115,
} as const

/** The two-byte alert body. */
export function serializeAlert(level: number, description: number): Buffer {
  return Buffer.from([level, description])
}
