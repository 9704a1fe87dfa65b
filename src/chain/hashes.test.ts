import { createHmac } from 'node:crypto'
import { encodeAbiParameters, keccak256, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { clientCommitment, emailHash, endpointHash, identityHash, legacyEmailHash, userCommitment, usernameHash } from './hashes.js'

const KEY = new Uint8Array(32).fill(1)

describe('hashes', () => {
  it('hashes names as keccak256 of their UTF-8 bytes', () => {
    expect(endpointHash('')).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    expect(endpointHash('urn:imei:35')).toBe(keccak256(toHex('urn:imei:35')))
    expect(identityHash('dev-1')).toBe(keccak256(toHex('dev-1')))
    expect(usernameHash('zoë')).toBe(keccak256(new Uint8Array(Buffer.from('zoë', 'utf8'))))
  })

  it('normalises e-mails: trimmed and lower-cased', () => {
    expect(emailHash('  Alice@Example.ORG\n', KEY)).toBe(emailHash('alice@example.org', KEY))
    expect(emailHash('bob@example.org', KEY)).not.toBe(emailHash('alice@example.org', KEY))
    expect(legacyEmailHash('  Alice@Example.ORG ')).toBe(keccak256(toHex('alice@example.org')))
  })

  it('keys the e-mail hash: HMAC-SHA256 under the deployment key, never the plain keccak256', () => {
    const mac = createHmac('sha256', KEY).update('alice@example.org').digest('hex')
    expect(emailHash('Alice@Example.org', KEY)).toBe(`0x${mac}`)
    expect(emailHash('alice@example.org', KEY)).not.toBe(keccak256(toHex('alice@example.org')))
    expect(emailHash('alice@example.org', new Uint8Array(32).fill(2))).not.toBe(emailHash('alice@example.org', KEY))
    expect(() => emailHash('alice@example.org', new Uint8Array(8))).toThrow(/at least 16 bytes/)
  })

  it('commits to a record as the first 20 bytes of keccak256(abi.encode(record))', () => {
    const record = {
      endpoint: 'ep',
      bootstrapUri: 'coaps://127.0.0.1:5784',
      bootstrapIdentity: 'bs',
      bootstrapKeySealed: '0x01',
      serverUri: 'coaps://127.0.0.1:5684',
      serverIdentity: 'sv',
      serverKeySealed: '0x02',
    } as const
    const full = keccak256(
      encodeAbiParameters(
        [{ type: 'tuple', components: Object.keys(record).map((name) => ({ name, type: name.endsWith('Sealed') ? 'bytes' : 'string' })) }],
        [record],
      ),
    )
    const c = clientCommitment(record)
    expect(c).toHaveLength(66)
    expect(c.slice(0, 42)).toBe(full.slice(0, 42))
    expect(c.slice(42)).toBe('0'.repeat(24))
    expect(clientCommitment({ ...record, serverUri: 'coaps://10.0.0.1:5684' })).not.toBe(c)
    const user = { username: 'u', role: 2, emailHash: emailHash('u@x', KEY), emailSealed: '0x01', passwordSealed: '0x02' } as const
    expect(userCommitment(user)).not.toBe(userCommitment({ ...user, role: 1 }))
  })
})
