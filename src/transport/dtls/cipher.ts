import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
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

/** Picks the first suite of our preference that the client offers. */
export function chooseCipherSuite(offered: readonly number[]): CipherSuiteId | undefined {
  return SERVER_PREFERENCE.find((s) => offered.includes(s))
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
export function serverCiphers(suite: CipherSuiteId, block: Buffer): { read: RecordCipher; write: RecordCipher } {
  if (suite === CipherSuite.TLS_PSK_WITH_AES_128_CCM_8) {
    const clientKey = block.subarray(0, 16)
    const serverKey = block.subarray(16, 32)
    const clientIv = block.subarray(32, 36)
    const serverIv = block.subarray(36, 40)
    return { read: ccm8(clientKey, clientIv), write: ccm8(serverKey, serverIv) }
  }
  const clientMac = block.subarray(0, 32)
  const serverMac = block.subarray(32, 64)
  const clientKey = block.subarray(64, 80)
  const serverKey = block.subarray(80, 96)
  return { read: cbcSha256(clientKey, clientMac), write: cbcSha256(serverKey, serverMac) }
}

/** seq_num(epoch + 48-bit seq) || type || version || length: the AEAD/MAC header (RFC 6347 4.1.2.1). */
function pseudoHeader(type: number, version: number, epoch: number, seq: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(13)
  h.writeUInt16BE(epoch, 0)
  writeU48(h, seq, 2)
  h[8] = type
  h.writeUInt16BE(version, 9)
  h.writeUInt16BE(length, 11)
  return h
}

/** AES-128-CCM with an 8-byte tag (RFC 6655): nonce = 4-byte implicit IV || 8-byte explicit nonce. */
function ccm8(key: Buffer, implicitIv: Buffer): RecordCipher {
  return {
    encrypt(type, version, epoch, seq, plaintext) {
      const explicit = Buffer.allocUnsafe(8)
      explicit.writeUInt16BE(epoch, 0)
      writeU48(explicit, seq, 2)
      const nonce = Buffer.concat([implicitIv, explicit])
      const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 })
      c.setAAD(pseudoHeader(type, version, epoch, seq, plaintext.length), { plaintextLength: plaintext.length })
      // Some zero-length views make OpenSSL's CCM skip its length setup ("tag not set"): use a fresh one.
      const ct = c.update(plaintext.length === 0 ? Buffer.alloc(0) : plaintext)
      c.final()
      return Buffer.concat([explicit, ct, c.getAuthTag()])
    },
    decrypt(type, version, epoch, seq, fragment) {
      if (fragment.length < 16) return undefined
      const nonce = Buffer.concat([implicitIv, fragment.subarray(0, 8)])
      const ct = fragment.subarray(8, fragment.length - 8)
      const tag = fragment.subarray(fragment.length - 8)
      try {
        const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 })
        d.setAuthTag(tag)
        d.setAAD(pseudoHeader(type, version, epoch, seq, ct.length), { plaintextLength: ct.length })
        const pt = d.update(ct.length === 0 ? Buffer.alloc(0) : ct)
        d.final()
        return pt
      } catch {
        return undefined
      }
    },
  }
}

/**
 * AES-128-CBC with HMAC-SHA256, MAC-then-encrypt, explicit IV (RFC 5246 6.2.3.2). We never
 * negotiate encrypt_then_mac, so this is the only ordering we need.
 */
function cbcSha256(key: Buffer, macKey: Buffer): RecordCipher {
  const mac = (type: number, version: number, epoch: number, seq: number, content: Uint8Array): Buffer =>
    createHmac('sha256', macKey).update(pseudoHeader(type, version, epoch, seq, content.length)).update(content).digest()
  return {
    encrypt(type, version, epoch, seq, plaintext) {
      const tag = mac(type, version, epoch, seq, plaintext)
      const unpadded = plaintext.length + tag.length + 1
      const padLen = (16 - (unpadded % 16)) % 16
      const padding = Buffer.alloc(padLen + 1, padLen)
      const iv = randomBytes(16)
      const c = createCipheriv('aes-128-cbc', key, iv)
      c.setAutoPadding(false)
      return Buffer.concat([iv, c.update(Buffer.concat([plaintext, tag, padding])), c.final()])
    },
    decrypt(type, version, epoch, seq, fragment) {
      // IV + at least one block holding MAC (32) + padding length byte.
      if (fragment.length < 16 + 48 || fragment.length % 16 !== 0) return undefined
      const d = createDecipheriv('aes-128-cbc', key, fragment.subarray(0, 16))
      d.setAutoPadding(false)
      const pt = Buffer.concat([d.update(fragment.subarray(16)), d.final()])
      const padLen = pt[pt.length - 1]
      // Check padding and MAC on the same path whatever the padding says (Lucky13-style care, approximately).
      let good = padLen + 1 + 32 <= pt.length
      const effectivePad = good ? padLen : 0
      for (let i = 0; i <= effectivePad; i++) if (pt[pt.length - 1 - i] !== padLen) good = false
      const contentEnd = pt.length - 1 - effectivePad - 32
      const content = pt.subarray(0, Math.max(0, contentEnd))
      const received = pt.subarray(Math.max(0, contentEnd), Math.max(0, contentEnd) + 32)
      const expected = mac(type, version, epoch, seq, content)
      const macOk = received.length === 32 && timingSafeEqual(received, expected)
      return good && macOk ? content : undefined
    },
  }
}
