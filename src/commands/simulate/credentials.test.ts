import { describe, expect, it } from 'vitest'
import { parseSimDevices } from './credentials.js'

const added = (endpoint: string) => ({
  endpoint,
  bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${endpoint}`, key: '000102030405060708090a0b0c0d0e0f' },
  server: { uri: 'coaps://127.0.0.1:5684', identity: `srv-${endpoint}`, key: '0x0f0e0d0c0b0a09080706050403020100' },
  txHash: '0xabc',
})

describe('simulate credentials', () => {
  it('reads `client add --json` lines with keys as bytes', () => {
    const specs = parseSimDevices([added('a'), added('b')].map((r) => JSON.stringify(r)).join('\n') + '\n')
    expect(specs.map((s) => s.endpoint)).toEqual(['a', 'b'])
    expect(Buffer.from(specs[0].bootstrap.key).toString('hex')).toBe('000102030405060708090a0b0c0d0e0f')
    expect(specs[0].server?.key[0]).toBe(0x0f)
  })

  it('reads a JSON array and an import report, keeping landed rows only', () => {
    expect(parseSimDevices(JSON.stringify([added('a')])).map((s) => s.endpoint)).toEqual(['a'])
    const report = { total: 2, rows: [{ ...added('ok'), row: 1, status: 'landed' }, { ...added('no'), row: 2, status: 'failed' }] }
    expect(parseSimDevices(JSON.stringify(report)).map((s) => s.endpoint)).toEqual(['ok'])
  })

  it('refuses files without devices, without bootstrap credentials, with bad keys or duplicates', () => {
    expect(() => parseSimDevices('')).toThrow(/no devices/)
    expect(() => parseSimDevices('{"endpoint":"a"}')).toThrow(/no bootstrap credentials/)
    expect(() => parseSimDevices(JSON.stringify({ ...added('a'), bootstrap: { ...added('a').bootstrap, key: 'xyz' } }))).toThrow(/not hex/)
    expect(() => parseSimDevices(JSON.stringify([added('a'), added('a')]))).toThrow(/twice/)
    expect(() => parseSimDevices('{"endpoint":"a"}\nnot json')).toThrow(/line 2 is not JSON/)
    try {
      parseSimDevices('[]')
    } catch (err) {
      expect((err as { code: string }).code).toBe('LWC_USAGE')
    }
  })
})
