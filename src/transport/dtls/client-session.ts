import type { RecordCipher } from './cipher.js'
import { DtlsError } from './errors.js'
import { DTLS_1_2, MAX_SEQ, serializeRecord, type DtlsRecord } from './record.js'
import type { ReplayWindow } from './replay-window.js'

/**
 * The client's established DTLS session (epoch 1): record protection both ways and the
 * anti-replay window. The handshake hands it over with the sequence numbers it already used.
 */
export class ClientSession {
  constructor(
    private readonly read: RecordCipher,
    private readonly write: RecordCipher,
    /** Next epoch-1 record number we send (our Finished and its resends used the first ones). */
    private writeSeq: number,
    private readonly replay: ReplayWindow,
  ) {}

  /** One protected epoch-1 record carrying `plaintext`. Throws LWC_DTLS_CLOSED once the sequence space is spent. */
  protect(type: number, plaintext: Uint8Array): Buffer {
    if (this.writeSeq >= MAX_SEQ) throw new DtlsError('LWC_DTLS_CLOSED', 'DTLS record sequence numbers exhausted')
    const seq = this.writeSeq++
    return serializeRecord({ type, version: DTLS_1_2, epoch: 1, seq, fragment: this.write.encrypt(type, DTLS_1_2, 1, seq, plaintext) })
  }

  /** The plaintext of an authentic, new epoch-1 record; undefined for anything else (dropped). */
  open(record: DtlsRecord): Buffer | undefined {
    if (record.epoch !== 1 || !this.replay.check(record.seq)) return undefined
    const plain = this.read.decrypt(record.type, record.version, 1, record.seq, record.fragment)
    // Only an authentic record may move the window (RFC 6347 4.1.2.6).
    if (plain) this.replay.accept(record.seq)
    return plain
  }
}
