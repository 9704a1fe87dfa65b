import { describe, expect, it } from 'vitest'
import { CodecError } from '../errors.js'
import { parsePath } from '../path.js'
import type { LwM2mNode, MultipleResource, ObjectInstanceNode, ObjectNode, SingleResource } from '../node.js'
import { createModelRegistry, loadDefaultModels } from '../models/registry.js'
import { tlvCodec } from './tlv.js'
import { readTlvs, writeTlv } from './tlv-frame.js'

const models = loadDefaultModels()
const noModels = createModelRegistry([])

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase()
const decode = (payload: string, path: string, registry = models) => tlvCodec.decode(hex(payload), parsePath(path), registry)
const encode = (node: LwM2mNode, path: string) => toHex(tlvCodec.encode(node, parsePath(path), models))

/** LwM2M TS Core §7.4.3.1: Read /3/0 of the Device object, answered in TLV. */
const DEVICE_INSTANCE = `
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`

/** §7.4.3.2: Read /2 of two Access Control instances, ACL instance ids 127 and 310 (16-bit). */
const ACCESS_CONTROL = `
  08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F`

function resources(node: LwM2mNode): ReadonlyMap<number, unknown> {
  const inst = node as ObjectInstanceNode
  return new Map([...inst.resources].map(([id, r]) => [id, r.kind === 'resource' ? r.value : Object.fromEntries(r.instances)]))
}

describe('TLV codec: the specification examples', () => {
  it('decodes the Device object instance read of the specification', () => {
    const node = decode(DEVICE_INSTANCE, '/3/0')
    expect(node.kind).toBe('instance')
    expect(resources(node)).toEqual(
      new Map<number, unknown>([
        [0, 'Open Mobile Alliance'],
        [1, 'Lightweight M2M Client'],
        [2, '345000123'],
        [3, '1.0'],
        [6, { 0: 1, 1: 5 }],
        [7, { 0: 3800, 1: 5000 }],
        [8, { 0: 125, 1: 900 }],
        [9, 100],
        [10, 15],
        [11, { 0: 0 }],
        [13, new Date(1367491215 * 1000)],
        [14, '+02:00'],
        [16, 'U'],
      ]),
    )
    const inst = node as ObjectInstanceNode
    expect(inst.resources.get(13)?.type).toBe('time')
    expect(inst.resources.get(6)?.kind).toBe('multipleResource')
  })

  it('encodes the Device object instance back to the exact bytes of the specification', () => {
    const node = decode(DEVICE_INSTANCE, '/3/0')
    expect(encode(node, '/3/0')).toBe(DEVICE_INSTANCE.replace(/\s+/g, ''))
  })

  it('accepts the instance wrapped in its object-instance TLV at /3/0, as Leshan does', () => {
    const body = hex(DEVICE_INSTANCE)
    const wrapped = writeTlv('objectInstance', 0, body)
    expect(toHex(wrapped.subarray(0, 3))).toBe('0800' + body.length.toString(16).toUpperCase())
    const node = tlvCodec.decode(wrapped, parsePath('/3/0'), models)
    expect(resources(node)).toEqual(resources(decode(DEVICE_INSTANCE, '/3/0')))
  })

  it('decodes the Device object read at /3, its single instance wrapped in an object-instance TLV', () => {
    const node = decode('08 00 79' + DEVICE_INSTANCE, '/3') as ObjectNode
    expect([...node.instances.keys()]).toEqual([0])
    expect(resources(node.instances.get(0)!)).toEqual(resources(decode(DEVICE_INSTANCE, '/3/0')))
    expect(encode(node, '/3')).toBe(('08 00 79' + DEVICE_INSTANCE).replace(/\s+/g, ''))
  })

  it('decodes multiple object instances with a multiple resource and a 16-bit instance id', () => {
    const node = decode(ACCESS_CONTROL, '/2') as ObjectNode
    expect([...node.instances.keys()]).toEqual([0, 2])
    expect(resources(node.instances.get(0)!)).toEqual(
      new Map<number, unknown>([[0, 1], [1, 0], [2, { 127: 7 }], [3, 127]]),
    )
    expect(resources(node.instances.get(2)!)).toEqual(
      new Map<number, unknown>([[0, 3], [1, 0], [2, { 127: 7, 310: 1 }], [3, 127]]),
    )
    expect(encode(node, '/2')).toBe(ACCESS_CONTROL.replace(/\s+/g, ''))
  })

  it('decodes a single resource and a multiple resource at their own paths', () => {
    expect(decode('C8 00 14 4F70656E204D6F62696C6520416C6C69616E6365', '/3/0/0')).toEqual({
      kind: 'resource', id: 0, type: 'string', value: 'Open Mobile Alliance',
    })
    const power = decode('86 06 41 00 01 41 01 05', '/3/0/6') as MultipleResource
    expect(power.kind).toBe('multipleResource')
    expect([...power.instances]).toEqual([[0, 1], [1, 5]])
  })

  it('decodes bare resource instances at a multiple resource path', () => {
    const power = decode('41 00 01 41 01 05', '/3/0/6') as MultipleResource
    expect([...power.instances]).toEqual([[0, 1], [1, 5]])
  })

  it('decodes one resource instance', () => {
    expect(decode('42 01 13 88', '/3/0/7/1')).toEqual({ kind: 'resourceInstance', id: 1, type: 'integer', value: 5000 })
  })

  it('decodes bare resources at a single-instance object as instance 0', () => {
    const node = decode('C1 09 64', '/3') as ObjectNode
    expect([...node.instances.keys()]).toEqual([0])
  })
})

describe('TLV codec: value sizes', () => {
  const intCases: [string, number | bigint][] = [
    ['C1 09 64', 100],
    ['C1 09 80', -128],
    ['C2 09 7F FF', 32767],
    ['C2 09 FF 7F', -129],
    ['C4 09 00 01 00 00', 65536],
    ['C4 09 80 00 00 00', -(2 ** 31)],
    ['C8 09 08 00 00 00 01 00 00 00 00', 2 ** 32],
    ['C8 09 08 7F FF FF FF FF FF FF FF', 2n ** 63n - 1n],
    ['C8 09 08 80 00 00 00 00 00 00 00', -(2n ** 63n)],
  ]
  it.each(intCases)('decodes and re-encodes the integer %s', (bytes, value) => {
    const node = decode(bytes, '/3/0/9') as SingleResource
    expect(node.value).toBe(value)
    expect(encode(node, '/3/0/9')).toBe(bytes.replace(/\s+/g, ''))
  })

  it('reads unsigned integers as unsigned (LwM2M 1.1) and writes them so 1.0 peers read them too', () => {
    expect((decode('C1 01 FF', '/1/0/1') as SingleResource).value).toBe(255)
    expect((decode('C8 01 08 FF FF FF FF FF FF FF FF', '/1/0/1') as SingleResource).value).toBe(2n ** 64n - 1n)
    const node: SingleResource = { kind: 'resource', id: 1, type: 'unsigned', value: 200 }
    expect(encode(node, '/1/0/1')).toBe('C20100C8')
    expect(encode({ ...node, value: 2n ** 64n - 1n }, '/1/0/1')).toBe('C80108FFFFFFFFFFFFFFFF')
  })

  it('decodes 4- and 8-byte floats and encodes each in the smallest exact size', () => {
    const four = decode('E4 16 44 41 C8 00 00', '/3303/0/5700') as SingleResource
    expect(four).toMatchObject({ type: 'float', value: 25 })
    expect(encode(four, '/3303/0/5700')).toBe('E4164441C80000')
    const eight = decode('E8 16 44 08 40 39 19 99 99 99 99 9A', '/3303/0/5700') as SingleResource
    expect(eight.value).toBe(25.1)
    expect(encode(eight, '/3303/0/5700')).toBe('E8164408403919999999999A')
  })

  it('uses 8-, 16- and 24-bit TLV lengths', () => {
    for (const [size, header] of [
      [7, 'C70E'],
      [8, 'C80E08'],
      [255, 'C80EFF'],
      [256, 'D00E0100'],
      [65535, 'D00EFFFF'],
      [65536, 'D80E010000'],
    ] as const) {
      const value = 'x'.repeat(size)
      const node: SingleResource = { kind: 'resource', id: 14, type: 'string', value }
      const bytes = tlvCodec.encode(node, parsePath('/3/0/14'), models)
      expect(toHex(bytes.subarray(0, header.length / 2))).toBe(header)
      expect(bytes.length).toBe(header.length / 2 + size)
      expect((tlvCodec.decode(bytes, parsePath('/3/0/14'), models) as SingleResource).value).toBe(value)
    }
  })

  it('uses 16-bit identifiers above 255', () => {
    const node: SingleResource = { kind: 'resource', id: 5700, type: 'float', value: 1.5 }
    expect(encode(node, '/3303/0/5700')).toBe('E41644' + '3FC00000')
  })

  it('encodes booleans, object links and time', () => {
    expect(encode({ kind: 'resource', id: 6, type: 'boolean', value: true }, '/1/0/6')).toBe('C10601')
    expect(encode({ kind: 'resource', id: 10, type: 'objlnk', value: { objectId: 11, instanceId: 300 } }, '/1/0/10')).toBe(
      'C40A000B012C',
    )
    expect(encode({ kind: 'resource', id: 13, type: 'time', value: new Date(1367491215000) }, '/3/0/13')).toBe('C40D5182428F')
  })
})

describe('TLV codec: unknown objects and malformed input', () => {
  it('reads resources without a model as opaque', () => {
    const node = decode('C1 05 2A 86 06 41 00 01 41 01 05', '/42000/0', noModels) as ObjectInstanceNode
    expect(node.resources.get(5)).toEqual({ kind: 'resource', id: 5, type: 'opaque', value: Uint8Array.of(0x2a) })
    expect(node.resources.get(6)?.kind).toBe('multipleResource')
  })

  it.each([
    ['a truncated header', 'C8', '/3/0'],
    ['a value longer than the payload', 'C8 00 14 4F 70', '/3/0'],
    ['a child running past its container', '08 00 03 C1 00 01 C1', '/2'],
    ['a resource instance among resources', '41 00 01', '/3/0'],
    ['an object instance inside an instance', '08 00 03 08 00 00', '/2'],
    ['an integer of 3 bytes', 'C3 09 00 00 01', '/3/0'],
    ['a float of 2 bytes', 'E2 16 44 00 00', '/3303/0'],
    ['a boolean of value 2', 'C1 06 02', '/1/0'],
    ['an object link of 3 bytes', 'C3 0A 00 00 00', '/1/0'],
    ['invalid UTF-8 in a string', 'C1 00 FF', '/3/0'],
    ['a duplicate resource', 'C1 09 01 C1 09 02', '/3/0'],
    ['a duplicate instance', '08 00 00 08 00 00', '/2'],
    ['a single value for a multiple resource', 'C1 06 01', '/3/0'],
    ['instances for a single resource', '83 09 41 00 01', '/3/0'],
    ['a resource TLV for another resource', 'C1 0A 01', '/3/0/9'],
    ['no TLV at a resource path', '', '/3/0/9'],
    ['two TLVs at a resource path', 'C1 09 01 C1 0A 01', '/3/0/9'],
    ['an object instance for another instance', '08 01 00', '/3/0'],
    ['a reserved identifier 65535', 'E1 FF FF 00', '/3/0'],
    ['a value for an executable resource', 'C1 04 01', '/3/0'],
    ['bare resources at a multiple-instance object', 'C1 00 01', '/2'],
    ['the root path', 'C1 00 01', '/'],
    ['an instance of a single resource', '41 00 01', '/3/0/9/0'],
  ])('rejects %s with a CodecError', (_what, bytes, path) => {
    let error: unknown
    try {
      decode(bytes, path)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(CodecError)
    expect((error as CodecError).code).toBe('LWC_CODEC')
  })

  it('gives the offset of the offending TLV', () => {
    try {
      decode('C1 09 64 C3 0A 00', '/3/0')
      expect.unreachable()
    } catch (err) {
      expect((err as CodecError).offset).toBe(3)
    }
  })

  it('caps the number of TLVs', () => {
    const many = new Uint8Array(3 * 20).fill(0)
    expect(() => readTlvs(many, { maxPayloadBytes: 1000, maxTlvs: 10 })).toThrow(/too many/)
    expect(() => readTlvs(new Uint8Array(10), { maxPayloadBytes: 5, maxTlvs: 10 })).toThrow(/limit/)
  })

  it('refuses to encode a node that does not match the path', () => {
    const node: SingleResource = { kind: 'resource', id: 1, type: 'string', value: 'x' }
    expect(() => tlvCodec.encode(node, parsePath('/3/0/2'), models)).toThrow(CodecError)
    expect(() => tlvCodec.encode(node, parsePath('/3/0'), models)).toThrow(CodecError)
  })

  it('refuses to encode a value of the wrong type', () => {
    const node: SingleResource = { kind: 'resource', id: 9, type: 'integer', value: 'ten' }
    expect(() => tlvCodec.encode(node, parsePath('/3/0/9'), models)).toThrow(CodecError)
  })
})
