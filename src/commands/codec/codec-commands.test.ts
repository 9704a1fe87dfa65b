import { describe, expect, it } from 'vitest'
import { decodeCommand } from './decode.js'
import { encodeCommand } from './encode.js'
import { UsageError } from '../../errors/base.js'
import { CodecError, InvalidPathError } from '../../lwm2m/errors.js'
import { loadDefaultModels } from '../../lwm2m/models/registry.js'

const models = loadDefaultModels()
const DEVICE_TLV =
  'C800144F70656E204D6F62696C6520416C6C69616E6365C801164c69676874776569676874204d324d20436c69656e74C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964C10A0F830B410000C40D5182428FC60E2B30323A3030C11055'
const hexOf = (s: string) => Buffer.from(s, 'utf8').toString('hex')

describe('lwchain decode', () => {
  it('prints the flat path-to-value object of the specification Device read in TLV', () => {
    const flat = JSON.parse(decodeCommand('tlv', DEVICE_TLV, { path: '/3/0', json: true, models }))
    expect(flat).toMatchObject({
      '/3/0/0': 'Open Mobile Alliance',
      '/3/0/1': 'Lightweight M2M Client',
      '/3/0/6/0': 1,
      '/3/0/6/1': 5,
      '/3/0/9': 100,
      '/3/0/13': 1367491215,
      '/3/0/16': 'U',
    })
    expect(Object.keys(flat)).toHaveLength(16)
  })

  it('tolerates spaces, colons and a 0x prefix in hex, and takes raw bytes', () => {
    const spaced = '0x' + DEVICE_TLV.match(/../g)!.join(':')
    expect(decodeCommand('tlv', spaced, { path: '/3/0', json: true, models })).toBe(
      decodeCommand('tlv', new Uint8Array(Buffer.from(DEVICE_TLV, 'hex')), { path: '/3/0', json: true, models }),
    )
  })

  it('prints a readable tree with the model names and types', () => {
    const out = decodeCommand('tlv', DEVICE_TLV, { path: '/3/0', models })
    expect(out).toMatch(/^\/3\/0\/0\s+Manufacturer\s+string\s+"Open Mobile Alliance"$/m)
    expect(out).toMatch(/^\/3\/0\/13\s+Current Time\s+time\s+1367491215 \(2013-05-02T10:40:15Z\)$/m)
  })

  it('reads SenML without --path, taking the paths from the record names', () => {
    const payload = hexOf('[{"bn":"/3/0/","n":"0","vs":"Acme"},{"bn":"/1/0/","n":"1","v":300}]')
    expect(JSON.parse(decodeCommand('senml-json', payload, { json: true, models }))).toEqual({ '/3/0/0': 'Acme', '/1/0/1': 300 })
  })

  it('prints opaque as 0x hex and a single text value at its resource path', () => {
    expect(JSON.parse(decodeCommand('senml-cbor', '81a221662f302f302f330843abcdef', { path: '/0/0/3', json: true, models }))).toEqual({ '/0/0/3': '0xabcdef' })
    expect(JSON.parse(decodeCommand('text', hexOf('1367491215'), { path: '/3/0/13', json: true, models }))).toEqual({ '/3/0/13': 1367491215 })
  })

  it.each([
    ['an unknown format', () => decodeCommand('xml', '00', { path: '/3/0', models }), UsageError],
    ['input that is not hex', () => decodeCommand('tlv', 'zz', { path: '/3/0', models }), UsageError],
    ['tlv without --path', () => decodeCommand('tlv', DEVICE_TLV, { models }), UsageError],
    ['text at an instance path', () => decodeCommand('text', '31', { path: '/3/0', models }), UsageError],
    ['a malformed payload', () => decodeCommand('tlv', 'C8', { path: '/3/0', models }), CodecError],
    ['a malformed path', () => decodeCommand('tlv', DEVICE_TLV, { path: '/3/x', models }), InvalidPathError],
  ])('fails with a typed error on %s', (_what, run, type) => {
    expect(run).toThrow(type)
  })

  it('gives usage errors exit code 2 and codec errors exit code 1', () => {
    const exitOf = (run: () => unknown) => {
      try {
        run()
      } catch (err) {
        return (err as UsageError).exitCode
      }
    }
    expect(exitOf(() => decodeCommand('tlv', 'zz', { path: '/3/0', models }))).toBe(2)
    expect(exitOf(() => decodeCommand('senml-json', hexOf('[{'), { models }))).toBe(1)
  })
})

describe('lwchain decode link / encode link', () => {
  const links = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1,</3303/0/5700>;pmin=10;gt=40'

  it('prints the links of a registration payload, as JSON with --json', () => {
    const parsed = JSON.parse(decodeCommand('link', hexOf(links), { json: true, models }))
    expect(parsed).toHaveLength(4)
    expect(parsed[3]).toEqual({ target: '/3303/0/5700', attributes: { pmin: 10, gt: 40 } })
    expect(decodeCommand('link', hexOf(links), { models }).split('\n')).toHaveLength(4)
  })

  it('encodes links given as JSON and reads them back', () => {
    const json = decodeCommand('link', hexOf(links), { json: true, models })
    const { hex } = encodeCommand('link', json, { models })
    expect(JSON.parse(decodeCommand('link', hex, { json: true, models }))).toEqual(JSON.parse(json))
  })

  it('fails with a CodecError on malformed links', () => {
    expect(() => decodeCommand('link', hexOf('</3/0;ver=1.1'), { models })).toThrow(CodecError)
  })
})

describe('lwchain encode', () => {
  const device = JSON.parse(decodeCommand('tlv', DEVICE_TLV, { path: '/3/0', json: true, models })) as Record<string, unknown>

  it.each(['tlv', 'senml-json', 'senml-cbor', 'lwm2m-json'])('encodes the flat Device object so that decode gives it back (%s)', (format) => {
    const { hex, path } = encodeCommand(format, JSON.stringify(device), { models })
    expect(path).toBe('/3/0')
    expect(JSON.parse(decodeCommand(format, hex, { path: '/3/0', json: true, models }))).toEqual(device)
  })

  it('encodes the Device instance to the specification TLV bytes', () => {
    expect(encodeCommand('tlv', JSON.stringify(device), { path: '/3/0', models }).hex).toBe(DEVICE_TLV.toLowerCase())
  })

  it('encodes one value as text or opaque at its own path', () => {
    expect(encodeCommand('text', '{"/3/0/13":1367491215}', { models }).hex).toBe(hexOf('1367491215'))
    expect(encodeCommand('opaque', '{"/5/0/0":"0xdeadbeef"}', { models }).hex).toBe('deadbeef')
  })

  it('puts values of several objects in one SenML pack, which decode reads back', () => {
    const flat = { '/3/0/0': 'Acme', '/1/0/1': 300, '/1/1/1': 600 }
    for (const format of ['senml-json', 'senml-cbor']) {
      const { hex } = encodeCommand(format, JSON.stringify(flat), { models })
      expect(JSON.parse(decodeCommand(format, hex, { json: true, models }))).toEqual(flat)
    }
  })

  it('keeps integers beyond 2^53 exact', () => {
    const { hex } = encodeCommand('senml-json', '{"/3/0/10":9223372036854775807}', { models })
    expect(Buffer.from(hex, 'hex').toString()).toContain('9223372036854775807')
  })

  it.each([
    ['input that is not JSON', () => encodeCommand('senml-json', '{', { models }), UsageError],
    ['an array instead of an object', () => encodeCommand('senml-json', '[1]', { models }), UsageError],
    ['paths spanning objects without --path in TLV', () => encodeCommand('tlv', '{"/3/0/0":"a","/1/0/1":1}', { models }), UsageError],
    ['a value of the wrong type', () => encodeCommand('tlv', '{"/3/0/9":"full"}', { models }), CodecError],
    ['a key outside --path', () => encodeCommand('tlv', '{"/3/0/9":1}', { path: '/3/1', models }), CodecError],
    ['a nested value', () => encodeCommand('tlv', '{"/3/0/9":{"a":1}}', { models }), UsageError],
  ])('fails with a typed error on %s', (_what, run, type) => {
    expect(run).toThrow(type)
  })
})
