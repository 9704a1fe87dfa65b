import { describe, expect, it } from 'vitest'
import { decode as referenceDecode, encode as referenceEncode } from 'cbor2'
import { decodeSenmlCborEntries, senmlCborCodec } from './senml-cbor.js'
import { CodecError } from '../errors.js'
import { formatPath, parsePath } from '../path.js'
import type { ResourceNode } from '../node.js'
import { testModels } from './test-models.js'
import { deviceInstance } from './device-example.js'

const models = testModels()
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
// An independent CBOR implementation (cbor2, pure JavaScript), to check our bytes are CBOR others
// read the same way.
const reference = {
  encode: (v: unknown): Uint8Array => referenceEncode(v),
  decode: (b: Uint8Array): unknown => referenceDecode(b, { preferMap: true }),
}

describe('senml-cbor codec', () => {
  it('encodes an opaque resource exactly as Leshan does', () => {
    // [{-2: "/0/0/3", 8: h'ABCDEF'}]
    const node: ResourceNode = { kind: 'resource', id: 3, type: 'opaque', value: hex('abcdef') }
    expect(toHex(senmlCborCodec.encode(node, parsePath('/0/0/3'), models))).toBe('81a221662f302f302f330843abcdef')
    expect(senmlCborCodec.decode(hex('81a221662f302f302f330843abcdef'), parsePath('/0/0/3'), models)).toEqual(node)
  })

  it('round-trips the Device object instance, and cbor2 reads the same records', () => {
    const bytes = senmlCborCodec.encode(deviceInstance(), parsePath('/3/0'), models)
    expect(senmlCborCodec.decode(bytes, parsePath('/3/0'), models)).toEqual(deviceInstance())
    const records = reference.decode(bytes) as Map<number, unknown>[]
    expect(records[0]).toEqual(new Map<number, unknown>([[-2, '/3/0/'], [0, '0'], [3, 'Open Mobile Alliance']]))
    expect(records[4]).toEqual(new Map<number, unknown>([[0, '6/0'], [2, 1]]))
    expect(records[13]).toEqual(new Map<number, unknown>([[0, '13'], [2, 1367491215]]))
  })

  it('decodes records written by cbor2, with floats, booleans and object links', () => {
    const pack = [
      new Map<number | string, unknown>([[-2, '/1024/0/'], [0, '3'], [2, 1.5]]),
      new Map<number | string, unknown>([[0, '4'], [4, true]]),
      new Map<number | string, unknown>([[0, '7'], ['vlo', '3:0']]),
      new Map<number | string, unknown>([[0, '2'], [2, 18446744073709551615n]]),
    ]
    const node = senmlCborCodec.decode(reference.encode(pack), parsePath('/1024/0'), models)
    expect(node).toEqual({
      kind: 'instance',
      id: 0,
      resources: new Map<number, ResourceNode>([
        [3, { kind: 'resource', id: 3, type: 'float', value: 1.5 }],
        [4, { kind: 'resource', id: 4, type: 'boolean', value: true }],
        [7, { kind: 'resource', id: 7, type: 'objlnk', value: { objectId: 3, instanceId: 0 } }],
        [2, { kind: 'resource', id: 2, type: 'unsigned', value: 18446744073709551615n }],
      ]),
    })
  })

  it('writes floats in the narrowest exact width and integers as CBOR integers', () => {
    const f = (value: number) =>
      toHex(senmlCborCodec.encode({ kind: 'resource', id: 3, type: 'float', value }, parsePath('/1024/0/3'), models))
    expect(f(1.5)).toMatch(/02fa3fc00000$/)
    expect(f(0.1)).toMatch(/02fb3fb999999999999a$/)
    const i = toHex(senmlCborCodec.encode({ kind: 'resource', id: 1, type: 'integer', value: -9223372036854775808n }, parsePath('/1024/0/1'), models))
    expect(i).toMatch(/023b7fffffffffffffff$/)
  })

  it('decodes half-precision floats and indefinite-length items', () => {
    // [_ {_ -2: "/6/0/0", 2: 1.5 (half)}]
    const node = senmlCborCodec.decode(hex('9fbf21662f362f302f3002f93e00ffff'), parsePath('/6/0/0'), models)
    expect(node).toEqual({ kind: 'resource', id: 0, type: 'float', value: 1.5 })
  })

  it('reads base times Leshan writes as decimal fractions (tag 4)', () => {
    // Leshan senml_cbor_encode_timestamped_nodes: [{-2:"/0/0/0", -3:4([0,500000004]), 3:"SampleString"}, …]
    const bytes = hex(
      '83a321662f302f302f3022c482001a1dcd6504036c53616d706c65537472696e67a321662f302f302f3122c482001a1dcd650504f4a321662f302f302f3222c482001a1dcd6506021901c8',
    )
    const entries = decodeSenmlCborEntries(bytes)
    expect(entries.map((e) => [formatPath(e.path), e.time, e.raw.value])).toEqual([
      ['/0/0/0', 500000004, 'SampleString'],
      ['/0/0/1', 500000005, false],
      ['/0/0/2', 500000006, 456],
    ])
  })

  it('decodes an empty payload as an empty instance', () => {
    expect(senmlCborCodec.decode(new Uint8Array(), parsePath('/3/0'), models)).toEqual({ kind: 'instance', id: 0, resources: new Map() })
  })

  it.each([
    ['truncated input', '81a221662f302f30'],
    ['trailing bytes', '81a221662f302f302f330843abcdef00'],
    ['a tag', 'c181'],
    ['a map as pack', 'a0'],
    ['a text value for vd', '81a221662f302f302f33086161'],
    ['invalid UTF-8 in a name', '81a12162ffff'],
    ['a duplicate key', '81a3216161216162'],
    ['an undefined simple value', '81a1f7f7'],
    ['a huge length', '81a2215bffffffffffffffff'],
    ['nesting deeper than the limit', '81'.repeat(40)],
    ['a reserved additional information', '1c'],
  ])('rejects %s', (_what, payload) => {
    expect(() => senmlCborCodec.decode(hex(payload), parsePath('/0/0/3'), models)).toThrow(CodecError)
  })

  it('gives the byte offset of truncated input', () => {
    try {
      senmlCborCodec.decode(hex('81a221662f302f30'), parsePath('/0/0/3'), models)
      expect.unreachable()
    } catch (err) {
      expect((err as CodecError).offset).toBe(4)
    }
  })
})
