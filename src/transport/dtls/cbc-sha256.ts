import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { RecordCipher } from './cipher.js'
import { pseudoHeader } from './pseudo-header.js'

const MAC_LENGTH = 32
const BLOCK = 16
/** SHA-256 works on 64-byte blocks and appends at least 9 bytes (0x80 and the 64-bit length). */
const SHA256_BLOCK = 64
const HMAC_INNER_PREFIX = SHA256_BLOCK + 13 // the ipad key block, then the pseudo-header
const ZEROS = Buffer.alloc(SHA256_BLOCK * 6)

/**
 * AES-128-CBC with HMAC-SHA256 (TLS_PSK_WITH_AES_128_CBC_SHA256), explicit IV (RFC 5246 6.2.3.2).
 * With `encryptThenMac` (RFC 7366) the MAC covers IV || ciphertext and is checked before anything
 * is decrypted, so padding never meets a secret. Without it (MAC-then-encrypt) the decryption is
 * written to do the same work whatever the padding says (Lucky Thirteen, CVE-2013-0169).
 */
export function cbcSha256(key: Buffer, macKey: Buffer, encryptThenMac = false): RecordCipher {
  return encryptThenMac ? etm(key, macKey) : mte(key, macKey)
}

function hmac(macKey: Buffer, header: Buffer, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', macKey).update(header)
  for (const p of parts) h.update(p)
  return h.digest()
}

/** Padding bytes so that `length + padding + 1` fills whole AES blocks; all bytes hold the pad length. */
function padding(length: number): Buffer {
  const padLen = (BLOCK - ((length + 1) % BLOCK)) % BLOCK
  return Buffer.alloc(padLen + 1, padLen)
}

function cbcEncrypt(key: Buffer, data: Buffer): Buffer {
  const iv = randomBytes(BLOCK)
  const c = createCipheriv('aes-128-cbc', key, iv)
  c.setAutoPadding(false)
  return Buffer.concat([iv, c.update(data), c.final()])
}

function cbcDecrypt(key: Buffer, ivAndCiphertext: Uint8Array): Buffer {
  const d = createDecipheriv('aes-128-cbc', key, ivAndCiphertext.subarray(0, BLOCK))
  d.setAutoPadding(false)
  return Buffer.concat([d.update(ivAndCiphertext.subarray(BLOCK)), d.final()])
}

/** RFC 7366: IV || ENC(content || padding) || MAC(pseudo-header(length of IV+ciphertext) || IV || ciphertext). */
function etm(key: Buffer, macKey: Buffer): RecordCipher {
  return {
    encrypt(type, version, epoch, seq, plaintext) {
      const body = cbcEncrypt(key, Buffer.concat([plaintext, padding(plaintext.length)]))
      return Buffer.concat([body, hmac(macKey, pseudoHeader(type, version, epoch, seq, body.length), body)])
    },
    decrypt(type, version, epoch, seq, fragment) {
      const bodyLength = fragment.length - MAC_LENGTH
      // IV + at least one block (the padding length byte needs one).
      if (bodyLength < 2 * BLOCK || bodyLength % BLOCK !== 0) return undefined
      const body = fragment.subarray(0, bodyLength)
      const expected = hmac(macKey, pseudoHeader(type, version, epoch, seq, bodyLength), body)
      if (!timingSafeEqual(expected, fragment.subarray(bodyLength))) return undefined
      // Authenticated: the padding may now be checked in any way.
      const pt = cbcDecrypt(key, body)
      const padLen = pt[pt.length - 1]
      if (padLen + 1 > pt.length) return undefined
      for (let i = 1; i <= padLen; i++) if (pt[pt.length - 1 - i] !== padLen) return undefined
      return pt.subarray(0, pt.length - 1 - padLen)
    },
  }
}

// Branch-free comparisons on small non-negative integers (< 2^30): all ones (-1) when true, else 0.
const ctLt = (a: number, b: number): number => (a - b) >> 31
const ctLe = (a: number, b: number): number => ctLt(a, b + 1)
const ctEq = (a: number, b: number): number => ~((a - b) | (b - a)) >> 31

/** SHA-256 compression calls for a message of `n` bytes. */
export function sha256Blocks(n: number): number {
  return Math.floor((n + 9 + SHA256_BLOCK - 1) / SHA256_BLOCK)
}

/**
 * RFC 5246 MAC-then-encrypt: IV || ENC(content || MAC || padding). Decryption runs the same code
 * path for every padding value: the padding check reads the largest possible padding with masks,
 * the received MAC is gathered from every position it could be at, and a dummy hash tops the HMAC
 * up to the number of SHA-256 compression calls of the longest possible content (the technique of
 * OpenSSL's ssl3_cbc_digest_record, approximated: node:crypto's HMAC runs in native code, we only
 * equalise how much work it is given). The result is only branched on once, at the end.
 */
function mte(key: Buffer, macKey: Buffer): RecordCipher {
  return {
    encrypt(type, version, epoch, seq, plaintext) {
      const tag = hmac(macKey, pseudoHeader(type, version, epoch, seq, plaintext.length), plaintext)
      return cbcEncrypt(key, Buffer.concat([plaintext, tag, padding(plaintext.length + tag.length)]))
    },
    decrypt(type, version, epoch, seq, fragment) {
      // IV + at least one block holding MAC (32) + padding length byte. Lengths are public.
      if (fragment.length < BLOCK + 48 || fragment.length % BLOCK !== 0) return undefined
      const pt = cbcDecrypt(key, fragment)
      const n = pt.length
      // The largest padding the record could carry: content may be empty, the MAC must fit.
      const maxPad = Math.min(255, n - 1 - MAC_LENGTH)
      const padLen = pt[n - 1]
      let good = ctLe(padLen, maxPad)
      // Every byte that could be padding is read; those that are must equal padLen.
      let bad = 0
      for (let i = 1; i <= maxPad; i++) bad |= ctLe(i, padLen) & (pt[n - 1 - i] ^ padLen)
      good &= ctEq(bad, 0)
      // Bad padding is treated as none, so the MAC is still computed (and fails).
      const pad = padLen & good
      const contentLength = n - 1 - pad - MAC_LENGTH
      const maxContent = n - 1 - MAC_LENGTH
      const content = pt.subarray(0, contentLength)
      const expected = hmac(macKey, pseudoHeader(type, version, epoch, seq, contentLength), content)
      // Equalise the compression calls with the longest possible content (pad 0); the dummy hash
      // always digests once, so its own call count varies only by the top-up.
      const topUp = sha256Blocks(HMAC_INNER_PREFIX + maxContent) - sha256Blocks(HMAC_INNER_PREFIX + contentLength)
      createHash('sha256').update(ZEROS.subarray(0, topUp * SHA256_BLOCK)).digest()
      // Gather the received MAC from the window of every position it could start at: first into
      // a buffer indexed by public positions (rotated by a secret amount), then rotated back by
      // trying every amount (ssl3_cbc_copy_mac's technique).
      const windowStart = n - 1 - maxPad - MAC_LENGTH
      const rotated = Buffer.alloc(MAC_LENGTH)
      for (let j = windowStart; j < n - 1; j++) {
        const inMac = ctLe(contentLength, j) & ctLt(j, contentLength + MAC_LENGTH)
        rotated[(j - windowStart) % MAC_LENGTH] |= pt[j] & inMac
      }
      const rotation = (contentLength - windowStart) % MAC_LENGTH
      const received = Buffer.alloc(MAC_LENGTH)
      for (let r = 0; r < MAC_LENGTH; r++) {
        const mask = ctEq(r, rotation)
        for (let k = 0; k < MAC_LENGTH; k++) received[k] |= rotated[(k + r) % MAC_LENGTH] & mask
      }
      good &= timingSafeEqual(received, expected) ? -1 : 0
      return good === -1 ? content : undefined
    },
  }
}
