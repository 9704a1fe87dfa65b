import { describe, expect, it } from 'vitest'
import { CodecError } from '../errors.js'
import { parsePath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import { createModelRegistry, loadDefaultModels } from '../models/registry.js'
import { textCodec } from './text.js'
import { opaqueCodec } from './opaque.js'

const models = loadDefaultModels()
const utf8 = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const decodeText = (s: string, path: string) => textCodec.decode(utf8(s), parsePath(path), models)

describe('plain-text codec', () => {
  it.each([
    ['/3/0/0', 'Open Mobile Alliance', 'string', 'Open Mobile Alliance'],
    ['/3/0/9', '100', 'integer', 100],
    ['/3/0/9', '-5', 'integer', -5],
    ['/1/0/1', '18446744073709551615', 'unsigned', 2n ** 64n - 1n],
    ['/3303/0/5700', '22.5', 'float', 22.5],
    ['/3303/0/5700', '-1.5e3', 'float', -1500],
    ['/1/0/6', '1', 'boolean', true],
    ['/1/0/6', '0', 'boolean', false],
    ['/3/0/13', '1367491215', 'time', new Date(1367491215000)],
    ['/1/0/10', '11:0', 'objlnk', { objectId: 11, instanceId: 0 }],
    ['/0/0/5', 'AQID', 'opaque', Uint8Array.of(1, 2, 3)],
  ] as const)('reads %s = %j as a %s', (path, payload, type, value) => {
    const node = decodeText(payload, path)
    expect(node).toEqual({ kind: 'resource', id: parsePath(path).resourceId, type, value })
    expect(text(textCodec.encode(node, parsePath(path), models))).toBe(payload.replace('-1.5e3', '-1500'))
  })

  it('reads one instance of a multiple resource', () => {
    expect(decodeText('3800', '/3/0/7/0')).toEqual({ kind: 'resourceInstance', id: 0, type: 'integer', value: 3800 })
  })

  it('reads a resource without a model as a string', () => {
    expect(textCodec.decode(utf8('hello'), parsePath('/42000/0/1'), createModelRegistry([]))).toMatchObject({
      type: 'string',
      value: 'hello',
    })
  })

  it.each([
    ['an integer with a fraction', '1.5', '/3/0/9'],
    ['an integer out of range', '9223372036854775808', '/3/0/9'],
    ['a negative unsigned integer', '-1', '/1/0/1'],
    ['a boolean written "true"', 'true', '/1/0/6'],
    ['a float that is not a number', '1,5', '/3303/0/5700'],
    ['a float beyond double range', '1e999', '/3303/0/5700'],
    ['a time with a fraction', '1.5', '/3/0/13'],
    ['an object link without a colon', '11', '/1/0/10'],
    ['an object link id out of range', '70000:0', '/1/0/10'],
    ['opaque that is not base64', 'not base64!', '/0/0/5'],
    ['a whole multiple resource', '1', '/3/0/6'],
    ['an object instance', '1', '/3/0'],
    ['an instance of a single resource', '1', '/3/0/9/0'],
    ['a value for an executable resource', 'x', '/3/0/4'],
    ['empty text for an integer', '', '/3/0/9'],
  ])('rejects %s with a CodecError', (_what, payload, path) => {
    expect(() => decodeText(payload, path)).toThrow(CodecError)
  })

  it('rejects invalid UTF-8', () => {
    expect(() => textCodec.decode(Uint8Array.of(0xff), parsePath('/3/0/0'), models)).toThrow(CodecError)
  })

  it('refuses to encode a structure or a non-finite float', () => {
    const inst: LwM2mNode = { kind: 'instance', id: 0, resources: new Map() }
    expect(() => textCodec.encode(inst, parsePath('/3/0'), models)).toThrow(CodecError)
    const nan: LwM2mNode = { kind: 'resource', id: 5700, type: 'float', value: NaN }
    expect(() => textCodec.encode(nan, parsePath('/3303/0/5700'), models)).toThrow(CodecError)
  })
})

describe('opaque codec', () => {
  it('carries the raw bytes of an opaque resource', () => {
    const node = opaqueCodec.decode(Uint8Array.of(0, 1, 255), parsePath('/5/0/0'), models)
    expect(node).toEqual({ kind: 'resource', id: 0, type: 'opaque', value: Uint8Array.of(0, 1, 255) })
    expect(opaqueCodec.encode(node, parsePath('/5/0/0'), models)).toEqual(Uint8Array.of(0, 1, 255))
  })

  it('reads an empty payload as empty bytes', () => {
    expect(opaqueCodec.decode(new Uint8Array(0), parsePath('/5/0/0'), models)).toMatchObject({ value: new Uint8Array(0) })
  })

  it('carries resources without a model as opaque', () => {
    const node = opaqueCodec.decode(Uint8Array.of(7), parsePath('/42000/0/3/1'), createModelRegistry([]))
    expect(node).toEqual({ kind: 'resourceInstance', id: 1, type: 'opaque', value: Uint8Array.of(7) })
  })

  it('refuses resources of another type and structures', () => {
    expect(() => opaqueCodec.decode(Uint8Array.of(1), parsePath('/3/0/9'), models)).toThrow(CodecError)
    expect(() => opaqueCodec.decode(Uint8Array.of(1), parsePath('/5/0'), models)).toThrow(CodecError)
    const node: LwM2mNode = { kind: 'resource', id: 9, type: 'integer', value: 1 }
    expect(() => opaqueCodec.encode(node, parsePath('/3/0/9'), models)).toThrow(CodecError)
  })
})
