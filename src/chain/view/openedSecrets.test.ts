import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { generateSealingKeyPair, sealingKeyToHex } from '../sealing.js'
import { openOpenedSecrets, sealOpenedSecrets } from './openedSecrets.js'
import type { SealedRef } from './prefetchingUnsealer.js'

const keyOf = () => {
  const k = generateSealingKeyPair()
  return { privateKey: k.privateKey, publicKey: sealingKeyToHex(k.publicKey) }
}
const refs: SealedRef[] = [
  { sealed: '0x01aa', context: 'lwchain:client:bootstrap-psk:a' },
  { sealed: '0x01bb', context: 'lwchain:client:server-psk:a' },
  { sealed: '0x01cc', context: 'lwchain:user:email:u' },
]
const values = [new Uint8Array([1, 2, 3]), undefined, new TextEncoder().encode('u@example.org')]

describe('opened secrets block', () => {
  it('opens with the key it was sealed under, giving each value (and the unopened one) in order', () => {
    const k = keyOf()
    const block = sealOpenedSecrets(refs, values, k)
    expect(block.count).toBe(3)
    // Nothing of the values shows in the block.
    expect(Buffer.from(block.data, 'base64').includes(Buffer.from('u@example.org'))).toBe(false)
    const got = openOpenedSecrets(block, refs, [keyOf(), k])
    expect(got?.publicKey).toBe(k.publicKey.toLowerCase())
    expect(got?.values).toEqual([new Uint8Array([1, 2, 3]), undefined, values[2]])
  })

  it('does not open with another key, beside other entries, in another order, or damaged', () => {
    const k = keyOf()
    const block = sealOpenedSecrets(refs, values, k)
    expect(openOpenedSecrets(block, refs, [keyOf()])).toBeUndefined()
    // Another key under the block's name: the derived key differs, so GCM refuses it.
    expect(openOpenedSecrets(block, refs, [{ ...keyOf(), publicKey: k.publicKey }])).toBeUndefined()
    expect(openOpenedSecrets(block, [refs[1], refs[0], refs[2]], [k])).toBeUndefined()
    expect(openOpenedSecrets(block, [refs[0], refs[1], { ...refs[2], sealed: '0x01cd' as Hex }], [k])).toBeUndefined()
    expect(openOpenedSecrets(block, refs.slice(0, 2), [k])).toBeUndefined()
    const body = Buffer.from(block.data, 'base64')
    body[20] ^= 1
    expect(openOpenedSecrets({ ...block, data: body.toString('base64') }, refs, [k])).toBeUndefined()
    expect(openOpenedSecrets({ ...block, data: 'AAAA' }, refs, [k])).toBeUndefined()
    expect(openOpenedSecrets(undefined, refs, [k])).toBeUndefined()
  })
})
