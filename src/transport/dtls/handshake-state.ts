import { randomBytes } from 'node:crypto'
import type { CipherSuiteId, RecordCipher } from './cipher.js'
import type { DtlsRecord } from './record.js'
import type { ClientHello } from './hello.js'
import { Reassembler } from './reassembler.js'
import { ReplayWindow } from './replay-window.js'

/** Where a server handshake stands after the cookie exchange. */
export type HandshakePhase = 'wait_client_key_exchange' | 'lookup' | 'wait_change_cipher_spec' | 'wait_finished'

/** Most epoch-1 records we hold back while waiting for the ChangeCipherSpec (reordering). */
export const MAX_EARLY_RECORDS = 8

/**
 * The per-peer state of one server handshake, created only after a ClientHello carried a valid
 * cookie. Plain data; the connection drives it.
 */
export class HandshakeState {
  phase: HandshakePhase = 'wait_client_key_exchange'
  readonly serverRandom = randomBytes(32)
  /** Handshake messages with their DTLS headers, from the cookie-bearing ClientHello on. */
  readonly transcript: Buffer[] = []
  readonly reassembler: Reassembler
  /** Next message_seq we send; the server mirrors the ClientHello's (RFC 6347 4.2.2). */
  sendSeq: number
  /** Next epoch-0 record sequence number we send. */
  writeSeq0: number
  // No replay window for epoch 0: its records are unauthenticated, so one with a forged huge
  // sequence number would shut out the real ones. Duplicates are caught by message_seq instead.
  readonly replay1 = new ReplayWindow()
  /** The datagram of our current flight and its retransmission timer. */
  flight?: Buffer
  timer?: NodeJS.Timeout
  rtoMs: number
  readonly startedAt = Date.now()
  /** The PSK identity as received, and its strict UTF-8 decoding (undefined when it is not UTF-8). */
  identityBytes?: Buffer
  identity?: string
  /** True when the identity was unknown: the handshake continues with a random key and fails. */
  unknownIdentity = false
  master?: Buffer
  read?: RecordCipher
  write?: RecordCipher
  /** With the number of the datagram each came in (see Connection.endOfDatagram). */
  readonly early: Array<{ record: DtlsRecord; datagram: number }> = []
  clientKeyExchangeSeq = -1
  /** Epoch-1 handshake records that did not decrypt (discarded; see Connection). */
  undecryptable = 0
  /** The datagram that completed the ClientKeyExchange, and the same number once a handshake record in it did not decrypt. */
  keyExchangeDatagram = 0
  undecryptableWithKeyExchange = 0

  constructor(
    readonly hello: ClientHello,
    /** The ClientHello with its DTLS header: the first transcript entry. */
    helloBytes: Buffer,
    readonly helloSeq: number,
    helloRecordSeq: number,
    readonly suite: CipherSuiteId,
    readonly extendedMasterSecret: boolean,
    readonly renegotiationInfo: boolean,
    initialRtoMs: number,
    /** RFC 7366 encrypt_then_mac negotiated (a CBC suite and the client offered it). */
    readonly encryptThenMac = false,
  ) {
    this.transcript.push(helloBytes)
    this.reassembler = new Reassembler(helloSeq + 1)
    this.sendSeq = helloSeq
    // Continue from the ClientHello's record number, as a stateless server does after its
    // HelloVerifyRequest, so that clients with strict anti-replay accept our ServerHello.
    this.writeSeq0 = helloRecordSeq
    this.rtoMs = initialRtoMs
  }
}
