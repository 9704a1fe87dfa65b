import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  InvalidSealingKeyError,
  SEALED_OVERHEAD,
  UnsealError,
  generateSealingKeyPair,
  open,
  seal,
  sealingKeyFromHex,
  sealingKeyToHex,
  sealingPublicKeyOf,
} from './sealing.js'

const psk = new Uint8Array(16).map((_, i) => i)
const CTX = 'lwchain:client:bootstrap-psk:urn:imei:350000000000001'

function unsealCode(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UnsealError)
    return (err as UnsealError).code
  }
  return undefined
}

describe('sealing', () => {
  it('opens what it sealed, with the right key and context', () => {
    const kp = generateSealingKeyPair()
    expect(kp.publicKey).toHaveLength(32)
    expect(kp.privateKey).toHaveLength(32)
    const sealed = seal(kp.publicKey, psk, CTX)
    expect(sealed).toHaveLength(psk.length + SEALED_OVERHEAD)
    expect(sealed).toHaveLength(77)
    expect(sealed[0]).toBe(1)
    expect(open(kp.privateKey, sealed, CTX)).toEqual(psk)
  })

  it('accepts the context as bytes, the same as the string', () => {
    const kp = generateSealingKeyPair()
    const sealed = seal(kp.publicKey, psk, new TextEncoder().encode(CTX))
    expect(open(kp.privateKey, sealed, CTX)).toEqual(psk)
  })

  it('cannot open with another key', () => {
    const kp = generateSealingKeyPair()
    const other = generateSealingKeyPair()
    expect(unsealCode(() => open(other.privateKey, seal(kp.publicKey, psk, CTX), CTX))).toBe('LWC_UNSEAL')
  })

  it('cannot open under another context (a sealed key moved to another record or field)', () => {
    const kp = generateSealingKeyPair()
    const sealed = seal(kp.publicKey, psk, CTX)
    expect(unsealCode(() => open(kp.privateKey, sealed, CTX.replace('bootstrap', 'server')))).toBe('LWC_UNSEAL')
    expect(unsealCode(() => open(kp.privateKey, sealed, CTX + '2'))).toBe('LWC_UNSEAL')
  })

  it('detects any flipped bit, truncation or unknown version', () => {
    const kp = generateSealingKeyPair()
    const sealed = seal(kp.publicKey, psk, CTX)
    for (let i = 0; i < sealed.length; i++) {
      const bad = Uint8Array.from(sealed)
      bad[i] ^= 0x01
      expect(unsealCode(() => open(kp.privateKey, bad, CTX)), `byte ${i}`).toBe('LWC_UNSEAL')
    }
    expect(unsealCode(() => open(kp.privateKey, sealed.subarray(0, sealed.length - 1), CTX))).toBe('LWC_UNSEAL')
    expect(unsealCode(() => open(kp.privateKey, new Uint8Array(10), CTX))).toBe('LWC_UNSEAL')
  })

  it('gives a different ciphertext every time (fresh ephemeral key and nonce)', () => {
    const kp = generateSealingKeyPair()
    const a = seal(kp.publicKey, psk, CTX)
    const b = seal(kp.publicKey, psk, CTX)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    expect(Buffer.from(a.subarray(1, 33)).equals(Buffer.from(b.subarray(1, 33)))).toBe(false)
  })

  it('round-trips any plaintext and context', () => {
    const kp = generateSealingKeyPair()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string(), (plain, ctx) => {
        expect(open(kp.privateKey, seal(kp.publicKey, plain, ctx), ctx)).toEqual(plain)
      }),
      { numRuns: 100 },
    )
  })

  it('rejects keys of the wrong size and low-order public keys with a typed error', () => {
    expect(() => seal(new Uint8Array(31), psk, CTX)).toThrow(InvalidSealingKeyError)
    expect(() => open(new Uint8Array(33), new Uint8Array(77), CTX)).toThrow(InvalidSealingKeyError)
    expect(() => seal(new Uint8Array(32), psk, CTX)).toThrow(InvalidSealingKeyError) // the zero point
  })

  it('converts keys to and from hex and derives the public half', () => {
    const kp = generateSealingKeyPair()
    const h = sealingKeyToHex(kp.privateKey)
    expect(h).toMatch(/^0x[0-9a-f]{64}$/)
    expect(sealingKeyFromHex(h)).toEqual(kp.privateKey)
    expect(sealingKeyFromHex(h.slice(2).toUpperCase())).toEqual(kp.privateKey)
    expect(sealingPublicKeyOf(kp.privateKey)).toEqual(kp.publicKey)
    expect(() => sealingKeyFromHex('0x1234')).toThrow(InvalidSealingKeyError)
    try {
      sealingKeyFromHex('zz')
    } catch (err) {
      expect((err as InvalidSealingKeyError).code).toBe('LWC_SEALING_KEY_INVALID')
    }
  })

  it("derives RFC 7748's public keys (section 6.1) from both private keys, on whichever import path this runtime takes", () => {
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex')
    const pub = (d: string) => hex(sealingPublicKeyOf(new Uint8Array(Buffer.from(d, 'hex'))))
    expect(pub('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(pub('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
  })
})
