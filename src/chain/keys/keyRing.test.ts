import { describe, expect, it } from 'vitest'
import { sealValue } from '../records/sealValue.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../sealing.js'
import { SealingKeyRing } from './keyRing.js'

const pubHex = (k: { publicKey: Uint8Array }) => sealingKeyToHex(k.publicKey).toLowerCase() as `0x${string}`

describe('SealingKeyRing', () => {
  const a = generateSealingKeyPair()
  const b = generateSealingKeyPair()
  const sealedA = sealValue(a.publicKey, 'psk-a', 'ctx')
  const sealedB = sealValue(b.publicKey, 'psk-b', 'ctx')

  it('opens with every key held and says which one opened each value', () => {
    const ring = new SealingKeyRing(a.privateKey, [b.privateKey])
    expect(ring.open(sealedA, 'ctx')?.publicKey).toBe(pubHex(a))
    expect(ring.open(sealedB, 'ctx')?.publicKey).toBe(pubHex(b))
    expect(ring.open(sealedA, 'other context')).toBeUndefined()
  })

  it('adopts the key the chain announces; the old one retires and is forgotten (zeroed) on retire()', () => {
    const aPriv = Uint8Array.from(a.privateKey)
    const ring = new SealingKeyRing(aPriv, [Uint8Array.from(b.privateKey)])
    // A next key is never retired before the chain switches to it.
    expect(ring.retiring()).toBe(false)
    expect(ring.retire()).toBe(0)
    expect(ring.adopt(pubHex(b))).toBe(true)
    expect(ring.currentPublicKey()).toBe(pubHex(b))
    expect(ring.retiring()).toBe(true)
    expect(ring.retire()).toBe(1)
    expect(aPriv.every((x) => x === 0)).toBe(true)
    expect(ring.size()).toBe(1)
    expect(ring.open(sealedA, 'ctx')).toBeUndefined()
    expect(ring.open(sealedB, 'ctx')?.value).toEqual(new TextEncoder().encode('psk-b'))
  })

  it('loads an announced key from the config dir when it lacks it, and ignores keys it never had', () => {
    let loads = 0
    const ring = new SealingKeyRing(a.privateKey, [], () => (loads++, [b.privateKey]))
    expect(ring.adopt(pubHex(generateSealingKeyPair()), { quiet: true })).toBe(false)
    expect(ring.currentPublicKey()).toBe(pubHex(a))
    expect(ring.adopt(pubHex(b))).toBe(true)
    expect(loads).toBe(2)
    expect(ring.currentPublicKey()).toBe(pubHex(b))
  })
})
