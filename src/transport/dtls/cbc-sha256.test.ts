import * as nodeCrypto from 'node:crypto'
import { beforeEach, describe, expect, it, vi } from 'vitest'

/**
 * Counts the SHA-256 compression-function calls node:crypto makes: Lucky Thirteen reads the
 * padding length from how many the MAC check takes, so a constant-time decryption makes the same
 * number whatever the padding.
 */
const work = vi.hoisted(() => ({ blocks: 0 }))
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof nodeCrypto>()
  const blocks = (n: number): number => Math.floor((n + 9 + 63) / 64)
  const counted = <T extends { update(d: nodeCrypto.BinaryLike): T; digest(): Buffer }>(h: T, prefix: number, extra: number): T => {
    let bytes = prefix
    const update = h.update.bind(h)
    const digest = h.digest.bind(h)
    Object.assign(h, {
      update(d: Uint8Array | string) {
        bytes += typeof d === 'string' ? Buffer.byteLength(d) : d.length
        update(d)
        return h
      },
      digest() {
        work.blocks += blocks(bytes) + extra
        return digest()
      },
    })
    return h
  }
  return {
    ...real,
    // HMAC: the ipad block precedes the data; the outer hash is 64 + 32 bytes (2 blocks).
    createHmac: (alg: string, key: nodeCrypto.BinaryLike) => counted(real.createHmac(alg, key), 64, 2),
    createHash: (alg: string) => counted(real.createHash(alg), 0, 0),
  }
})

const { cbcSha256 } = await import('./cbc-sha256.js')
const { pseudoHeader } = await import('./pseudo-header.js')

const encKey = Buffer.alloc(16, 7)
const macKey = Buffer.alloc(32, 9)
const TYPE = 23
const VERSION = 0xfefd

/** A MAC-then-encrypt record of exactly `total` plaintext bytes carrying `padLen` padding. */
function record(total: number, padLen: number, o: { badPad?: boolean; badMac?: boolean } = {}): { fragment: Buffer; content: Buffer } {
  const content = Buffer.alloc(total - 1 - padLen - 32, 0x41)
  const mac = nodeCrypto.createHmac('sha256', macKey).update(pseudoHeader(TYPE, VERSION, 1, 5, content.length)).update(content).digest()
  if (o.badMac) mac[0] ^= 1
  const pad = Buffer.alloc(padLen + 1, padLen)
  if (o.badPad && padLen > 0) pad[0] ^= 1
  const iv = Buffer.alloc(16, 3)
  const c = nodeCrypto.createCipheriv('aes-128-cbc', encKey, iv)
  c.setAutoPadding(false)
  return { fragment: Buffer.concat([iv, c.update(Buffer.concat([content, mac, pad])), c.final()]), content }
}

const cipher = cbcSha256(encKey, macKey, false)
const decryptWork = (fragment: Buffer): { blocks: number; result: Buffer | undefined } => {
  work.blocks = 0
  const result = cipher.decrypt(TYPE, VERSION, 1, 5, fragment)
  return { blocks: work.blocks, result }
}

describe('MAC-then-encrypt decryption work (Lucky Thirteen)', () => {
  beforeEach(() => {
    work.blocks = 0
  })

  for (const total of [48, 160, 512, 1024]) {
    it(`hashes as many SHA-256 blocks for every padding length, good or bad, in a ${total}-byte record`, () => {
      const maxPad = Math.min(255, total - 33)
      const seen = new Set<number>()
      for (let padLen = 0; padLen <= maxPad; padLen++) {
        const good = record(total, padLen)
        const ok = decryptWork(good.fragment)
        expect(ok.result).toEqual(good.content)
        seen.add(ok.blocks)
        const badPad = decryptWork(record(total, padLen, { badPad: true }).fragment)
        if (padLen > 0) expect(badPad.result).toBeUndefined()
        seen.add(badPad.blocks)
        const badMac = decryptWork(record(total, padLen, { badMac: true }).fragment)
        expect(badMac.result).toBeUndefined()
        seen.add(badMac.blocks)
      }
      // A padding length byte beyond what the record can hold (CBC: flipping the previous
      // ciphertext block flips the same plaintext bits).
      const tooLong = record(total, 0).fragment
      tooLong[tooLong.length - 17] ^= 0xf0
      const refused = decryptWork(tooLong)
      expect(refused.result).toBeUndefined()
      seen.add(refused.blocks)
      expect([...seen]).toHaveLength(1)
    })
  }
})

describe('encrypt_then_mac (RFC 7366)', () => {
  const etm = cbcSha256(encKey, macKey, true)
  it('puts the MAC after IV || ciphertext, over the pseudo-header with their length', () => {
    const ct = etm.encrypt(TYPE, VERSION, 1, 9, Buffer.from('hello'))
    expect(ct).toHaveLength(16 + 16 + 32)
    const mac = nodeCrypto.createHmac('sha256', macKey).update(pseudoHeader(TYPE, VERSION, 1, 9, 32)).update(ct.subarray(0, 32)).digest()
    expect(ct.subarray(32)).toEqual(mac)
    const d = nodeCrypto.createDecipheriv('aes-128-cbc', encKey, ct.subarray(0, 16))
    d.setAutoPadding(false)
    const pt = Buffer.concat([d.update(ct.subarray(16, 32)), d.final()])
    expect(pt.subarray(0, 5).toString()).toBe('hello')
    expect([...pt.subarray(5)]).toEqual(Array(11).fill(10))
  })

  it('round-trips every length from 0 to 48 and refuses any flipped bit', () => {
    for (let n = 0; n <= 48; n++) {
      const pt = nodeCrypto.randomBytes(n)
      const ct = etm.encrypt(TYPE, VERSION, 1, n, pt)
      expect(etm.decrypt(TYPE, VERSION, 1, n, ct)).toEqual(pt)
      for (let i = 0; i < ct.length; i += 7) {
        const bad = Buffer.from(ct)
        bad[i] ^= 0x80
        expect(etm.decrypt(TYPE, VERSION, 1, n, bad)).toBeUndefined()
      }
      expect(cipher.decrypt(TYPE, VERSION, 1, n, ct)).toBeUndefined() // not readable as MAC-then-encrypt
    }
  })
})
