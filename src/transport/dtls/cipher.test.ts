import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chooseCipherSuite, CipherSuite, keyBlockLength, serverCiphers, type CipherSuiteId } from './cipher.js'
import { ContentType, DTLS_1_2 } from './record.js'

const suites: Array<[CipherSuiteId, boolean]> = [
  [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, false],
  [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, false],
  [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, true],
]

describe('record protection', () => {
  for (const [suite, encryptThenMac] of suites) {
    const { read, write } = serverCiphers(suite, randomBytes(keyBlockLength(suite)), { encryptThenMac })
    const peer = { write: read, read: write } // the client's view of the same key block

    it(`0x${suite.toString(16)}${encryptThenMac ? ' encrypt_then_mac' : ''}: round-trips every plaintext length from 0 to 48`, () => {
      for (let n = 0; n <= 48; n++) {
        const pt = randomBytes(n)
        const ct = write.encrypt(ContentType.applicationData, DTLS_1_2, 1, n, pt)
        expect(peer.read.decrypt(ContentType.applicationData, DTLS_1_2, 1, n, ct)).toEqual(pt)
      }
    })

    it(`0x${suite.toString(16)}${encryptThenMac ? ' encrypt_then_mac' : ''}: rejects any flipped bit, a wrong sequence number, type or epoch`, () => {
      const pt = Buffer.from('authenticated data')
      const ct = peer.write.encrypt(ContentType.applicationData, DTLS_1_2, 1, 7, pt)
      for (let i = 0; i < ct.length; i++) {
        const bad = Buffer.from(ct)
        bad[i] ^= 0x01
        expect(read.decrypt(ContentType.applicationData, DTLS_1_2, 1, 7, bad)).toBeUndefined()
      }
      expect(read.decrypt(ContentType.applicationData, DTLS_1_2, 1, 8, ct)).toBeUndefined()
      expect(read.decrypt(ContentType.handshake, DTLS_1_2, 1, 7, ct)).toBeUndefined()
      expect(read.decrypt(ContentType.applicationData, DTLS_1_2, 2, 7, ct)).toBeUndefined()
      expect(read.decrypt(ContentType.applicationData, DTLS_1_2, 1, 7, ct)).toEqual(pt)
    })

    it(`0x${suite.toString(16)}${encryptThenMac ? ' encrypt_then_mac' : ''}: rejects truncated records without throwing`, () => {
      const ct = peer.write.encrypt(ContentType.applicationData, DTLS_1_2, 1, 1, Buffer.from('x'))
      for (let n = 0; n < ct.length; n++) expect(read.decrypt(ContentType.applicationData, DTLS_1_2, 1, 1, ct.subarray(0, n))).toBeUndefined()
    })
  }

  it('CCM_8 records carry the 8-byte explicit nonce epoch||seq and an 8-byte tag', () => {
    const { write } = serverCiphers(CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, randomBytes(40))
    const ct = write.encrypt(ContentType.applicationData, DTLS_1_2, 1, 0x0203, Buffer.alloc(10))
    expect(ct.subarray(0, 8).toString('hex')).toBe('0001000000000203')
    expect(ct).toHaveLength(8 + 10 + 8)
  })
})

describe('cipher suite choice', () => {
  it('prefers CCM_8, falls back to CBC-SHA256, refuses anything else', () => {
    expect(chooseCipherSuite([0xcca8, 0x00ae, 0xc0a8])).toBe(0xc0a8)
    expect(chooseCipherSuite([0xcca8, 0x00ae])).toBe(0x00ae)
    expect(chooseCipherSuite([0xccab, 0x008c])).toBeUndefined()
  })

  it('leaves out the suites the server does not allow for this client', () => {
    expect(chooseCipherSuite([0x00ae, 0xc0a8], (s) => s !== 0x00ae)).toBe(0xc0a8)
    expect(chooseCipherSuite([0x00ae], (s) => s !== 0x00ae)).toBeUndefined()
  })
})
