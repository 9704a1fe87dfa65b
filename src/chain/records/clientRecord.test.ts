import { describe, expect, it } from 'vitest'
import { generateSealingKeyPair } from '../sealing.js'
import { buildClientSpec, openClientRecord, sealClientRecord } from './clientRecord.js'
import { openValue } from './sealValue.js'
import { clientKeyContext } from './sealContexts.js'

describe('client records', () => {
  it('generates distinct identities and 16-byte keys when none are given', () => {
    const { spec, generated } = buildClientSpec({ endpoint: 'e1' })
    expect(generated).toEqual({ bsIdentity: true, bsKey: true, serverIdentity: true, serverKey: true })
    expect(spec.bootstrap.key).toHaveLength(16)
    expect(spec.server.key).toHaveLength(16)
    expect(spec.bootstrap.identity).not.toBe(spec.server.identity)
  })

  it('generates printable keys on request, still 16 bytes', () => {
    const { spec } = buildClientSpec({ endpoint: 'e1', printableKeys: true })
    expect(Buffer.from(spec.server.key).toString('latin1')).toMatch(/^[\x21-\x7e]{16}$/)
  })

  it('seals keys so that only the sealing key and the right context open them', () => {
    const keys = generateSealingKeyPair()
    const { spec } = buildClientSpec({ endpoint: 'e1' })
    const rec = sealClientRecord(spec, keys.publicKey)
    expect(rec.bootstrapKeySealed).not.toContain(Buffer.from(spec.bootstrap.key).toString('hex'))
    const opened = openClientRecord(rec, keys.privateKey)
    expect(Buffer.from(opened.server.key).equals(Buffer.from(spec.server.key))).toBe(true)
    // A bootstrap key copied into the server field, or into another endpoint, does not open.
    expect(() => openValue(keys.privateKey, rec.bootstrapKeySealed, clientKeyContext('e1', 'server'))).toThrow()
    expect(() => openValue(keys.privateKey, rec.bootstrapKeySealed, clientKeyContext('e2', 'bootstrap'))).toThrow()
    expect(() => openClientRecord(rec, generateSealingKeyPair().privateKey)).toThrow()
  })
})
