import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { extendedMasterSecret, keyBlock, masterSecret, prf, pskPremasterSecret, verifyData } from './prf.js'

// OpenSSL's TLS1-PRF (`openssl kdf`) as an independent implementation to cross-check against.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0
function opensslPrf(secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const r = spawnSync('openssl', [
    'kdf', '-keylen', String(length), '-kdfopt', 'digest:SHA256',
    '-kdfopt', `hexsecret:${Buffer.from(secret).toString('hex')}`,
    // OpenSSL's "seed" is the PRF's label || seed (RFC 5246 5).
    '-kdfopt', `hexseed:${Buffer.concat([Buffer.from(label, 'latin1'), seed]).toString('hex')}`,
    'TLS1-PRF',
  ], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl kdf failed: ${r.stderr}`)
  return Buffer.from(r.stdout.trim().replace(/:/g, ''), 'hex')
}

describe('TLS 1.2 PRF (P_SHA256)', () => {
  it('matches the published SHA-256 PRF test vector', () => {
    // The widely used TLS 1.2 PRF vector (IETF TLS list, "test label", 100 bytes).
    const out = prf(Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'), 'test label', Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'), 100)
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af' +
        '0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    )
  })

  it.skipIf(!hasOpenssl)('agrees with OpenSSL for output lengths around the 32-byte block boundaries', () => {
    const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex')
    const seed = Buffer.from('seed seed seed')
    for (const n of [1, 12, 31, 32, 33, 40, 48, 63, 64, 65, 96, 100]) expect(prf(secret, 'key expansion', seed, n)).toEqual(opensslPrf(secret, 'key expansion', seed, n))
  })

  it.skipIf(!hasOpenssl)('derives master secret, key block and Finished data with the RFC 5246 labels', () => {
    const pms = pskPremasterSecret(Buffer.from('key'))
    const cr = Buffer.alloc(32, 1)
    const sr = Buffer.alloc(32, 2)
    expect(masterSecret(pms, cr, sr)).toEqual(opensslPrf(pms, 'master secret', Buffer.concat([cr, sr]), 48))
    const ms = masterSecret(pms, cr, sr)
    expect(keyBlock(ms, cr, sr, 40)).toEqual(opensslPrf(ms, 'key expansion', Buffer.concat([sr, cr]), 40))
    expect(verifyData(ms, 'client finished', Buffer.alloc(32))).toEqual(opensslPrf(ms, 'client finished', Buffer.alloc(32), 12))
    expect(extendedMasterSecret(pms, Buffer.alloc(32, 3))).toEqual(opensslPrf(pms, 'extended master secret', Buffer.alloc(32, 3), 48))
  })
})

describe('PSK premaster secret (RFC 4279)', () => {
  it('is uint16 N, N zeros, uint16 N, the PSK', () => {
    expect(pskPremasterSecret(Buffer.from([0xaa, 0xbb, 0xcc])).toString('hex')).toBe('0003' + '000000' + '0003' + 'aabbcc')
  })
})
