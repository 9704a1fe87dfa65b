import { createCipheriv, createDecipheriv } from 'node:crypto'
import { cbcSha256 } from './cbc-sha256.js'
import { pseudoHeader } from './pseudo-header.js'
import { writeU48 } from './reader.js'

/** Cipher suites we implement, in server preference order. */
export const CipherSuite = {
  TLS_PSK_WITH_AES_128_CCM_8: 0xc0a8,
  TLS_PSK_WITH_AES_128_CBC_SHA256: 0x00ae,
} as const
export type CipherSuiteId = (typeof CipherSuite)[keyof typeof CipherSuite]
export const SERVER_PREFERENCE: readonly CipherSuiteId[] = [
  CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
  CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256,
]

/** True for the suites whose records are CBC + HMAC (where encrypt_then_mac applies). */
export function isCbcSuite(suite: number): boolean {
  return suite === CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256
}

/**
 * Picks the first suite of our preference that the client offers; `allowed` (default: all) lets
 * the server leave a suite out for this client (CBC when MAC-then-encrypt is not wanted).
 */
export function chooseCipherSuite(offered: readonly number[], allowed: (suite: CipherSuiteId) => boolean = () => true): CipherSuiteId | undefined {
  return SERVER_PREFERENCE.find((s) => offered.includes(s) && allowed(s))
}

/** Options of the record ciphers. */
export interface RecordCipherOptions {
  /** RFC 7366 encrypt_then_mac was negotiated (CBC suites only; ignored for AEAD). */
  readonly encryptThenMac?: boolean
}

/** Protects or unprotects records of one direction of one epoch. */
export interface RecordCipher {
  encrypt(type: number, version: number, epoch: number, seq: number, plaintext: Uint8Array): Buffer
  /** Undefined when the record does not authenticate (bad MAC, bad padding, too short). */
  decrypt(type: number, version: number, epoch: number, seq: number, fragment: Uint8Array): Buffer | undefined
}

/** Bytes of key block each suite needs. */
export function keyBlockLength(suite: CipherSuiteId): number {
  return suite === CipherSuite.TLS_PSK_WITH_AES_128_CCM_8 ? 2 * 16 + 2 * 4 : 2 * 32 + 2 * 16
}

/** Splits the key block into the server's read (client write) and write ciphers. */
export function serverCiphers(suite: CipherSuiteId, block: Buffer, options: RecordCipherOptions = {}): { read: RecordCipher; write: RecordCipher } {
  if (suite === CipherSuite.TLS_PSK_WITH_AES_128_CCM_8) {
    // client_write_key, server_write_key, client_write_IV, server_write_IV (RFC 5246 6.3).
    return { read: new Ccm8(block, 0, 32), write: new Ccm8(block, 16, 36) }
  }
  const clientMac = block.subarray(0, 32)
  const serverMac = block.subarray(32, 64)
  const clientKey = block.subarray(64, 80)
  const serverKey = block.subarray(80, 96)
  const etm = options.encryptThenMac ?? false
  return { read: cbcSha256(clientKey, clientMac, etm), write: cbcSha256(serverKey, serverMac, etm) }
}

/**
 * AES-128-CCM with an 8-byte tag (RFC 6655): nonce = 4-byte implicit IV || 8-byte explicit nonce.
 * Every session keeps two of these for as long as it lives, so they are small: an instance with
 * offsets into the session's key block, where two closures each with their context and views of
 * the key and IV cost about 750 bytes a session (at 10,000 sessions, 4,303 B per registration
 * against a goal of 4,096). The key's view is made per record instead, which costs far less
 * than the cipher object node:crypto makes for it anyway.
 */
class Ccm8 implements RecordCipher {
  constructor(
    private readonly block: Buffer,
    private readonly keyAt: number,
    private readonly ivAt: number,
  ) {}

  private nonce(explicit: Uint8Array): Buffer {
    const nonce = Buffer.allocUnsafe(12)
    this.block.copy(nonce, 0, this.ivAt, this.ivAt + 4)
    nonce.set(explicit, 4)
    return nonce
  }

  private key(): Buffer {
    return this.block.subarray(this.keyAt, this.keyAt + 16)
  }

  encrypt(type: number, version: number, epoch: number, seq: number, plaintext: Uint8Array): Buffer {
    const explicit = Buffer.allocUnsafe(8)
    explicit.writeUInt16BE(epoch, 0)
    writeU48(explicit, seq, 2)
    const c = createCipheriv('aes-128-ccm', this.key(), this.nonce(explicit), { authTagLength: 8 })
    c.setAAD(pseudoHeader(type, version, epoch, seq, plaintext.length), { plaintextLength: plaintext.length })
    // Some zero-length views make OpenSSL's CCM skip its length setup ("tag not set"): use a fresh one.
    const ct = c.update(plaintext.length === 0 ? Buffer.alloc(0) : plaintext)
    c.final()
    return Buffer.concat([explicit, ct, c.getAuthTag()])
  }

  decrypt(type: number, version: number, epoch: number, seq: number, fragment: Uint8Array): Buffer | undefined {
    if (fragment.length < 16) return undefined
    const nonce = this.nonce(fragment.subarray(0, 8))
    const ct = fragment.subarray(8, fragment.length - 8)
    const tag = fragment.subarray(fragment.length - 8)
    try {
      const d = createDecipheriv('aes-128-ccm', this.key(), nonce, { authTagLength: 8 })
      d.setAuthTag(tag)
      d.setAAD(pseudoHeader(type, version, epoch, seq, ct.length), { plaintextLength: ct.length })
      const pt = d.update(ct.length === 0 ? Buffer.alloc(0) : ct)
      d.final()
      return pt
    } catch {
      return undefined
    }
  }
}
