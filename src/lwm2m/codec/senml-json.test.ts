import { describe, expect, it } from 'vitest'
import { senmlJsonCodec } from './senml-json.js'
import { CodecError } from '../errors.js'
import { parsePath } from '../path.js'
import type { LwM2mNode, ObjectInstanceNode, ObjectNode, ResourceNode } from '../node.js'
import { testModels } from './test-models.js'
import { deviceInstance } from './device-example.js'

const models = testModels()
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const decode = (s: string, path: string): LwM2mNode => senmlJsonCodec.decode(enc(s), parsePath(path), models)

// Leshan's LwM2mNodeEncoderTest / LwM2mNodeDecoderTest payloads (the spec's Device object read).
const DEVICE_SENML =
  '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},' +
  '{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},' +
  '{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},' +
  '{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},' +
  '{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]'

describe('senml-json codec', () => {
  it('encodes the Device object instance exactly as Leshan does', () => {
    expect(dec(senmlJsonCodec.encode(deviceInstance(), parsePath('/3/0'), models))).toBe(DEVICE_SENML)
  })

  it('decodes the Device object instance', () => {
    expect(decode(DEVICE_SENML, '/3/0')).toEqual(deviceInstance())
  })

  it('encodes a single resource with the full path as base name', () => {
    const node: ResourceNode = { kind: 'resource', id: 0, type: 'string', value: 'Open Mobile Alliance' }
    expect(dec(senmlJsonCodec.encode(node, parsePath('/3/0/0'), models))).toBe('[{"bn":"/3/0/0","vs":"Open Mobile Alliance"}]')
  })

  it('encodes a multiple resource with relative instance names', () => {
    const node: ResourceNode = { kind: 'multipleResource', id: 7, type: 'integer', instances: new Map([[0, 3800], [1, 5000]]) }
    expect(dec(senmlJsonCodec.encode(node, parsePath('/3/0/7'), models))).toBe('[{"bn":"/3/0/7/","n":"0","v":3800},{"n":"1","v":5000}]')
  })

  it('encodes and decodes opaque values as base64url in vd', () => {
    const node: ResourceNode = { kind: 'resource', id: 3, type: 'opaque', value: new Uint8Array([0xab, 0xcd, 0xef]) }
    expect(dec(senmlJsonCodec.encode(node, parsePath('/0/0/3'), models))).toBe('[{"bn":"/0/0/3","vd":"q83v"}]')
    expect(decode('[{"bn":"/0/0/3","vd":"q83v"}]', '/0/0/3')).toEqual(node)
  })

  it('decodes vd in the standard base64 alphabet too (+ and /, padded or not), as Wakaama writes it', () => {
    const opaque = (...bytes: number[]): ResourceNode => ({ kind: 'resource', id: 3, type: 'opaque', value: new Uint8Array(bytes) })
    // 0xfb 0xff 0xbf is 62 63 62 63 in sextets: "+/+/" in base64, "-_-_" in base64url.
    expect(decode('[{"bn":"/0/0/3","vd":"+/+/"}]', '/0/0/3')).toEqual(opaque(0xfb, 0xff, 0xbf))
    expect(decode('[{"bn":"/0/0/3","vd":"-_-_"}]', '/0/0/3')).toEqual(opaque(0xfb, 0xff, 0xbf))
    // Two bytes: "+/8=" padded, "+/8" not.
    expect(decode('[{"bn":"/0/0/3","vd":"+/8="}]', '/0/0/3')).toEqual(opaque(0xfb, 0xff))
    expect(decode('[{"bn":"/0/0/3","vd":"+/8"}]', '/0/0/3')).toEqual(opaque(0xfb, 0xff))
    // One byte: "/w==" padded, "/w" not; a 16-byte PSK with both characters.
    expect(decode('[{"bn":"/0/0/3","vd":"/w=="}]', '/0/0/3')).toEqual(opaque(0xff))
    expect(decode('[{"bn":"/0/0/3","vd":"/w"}]', '/0/0/3')).toEqual(opaque(0xff))
    const key = Buffer.from('ab+/cd+/ef+/gh+/ij+/kA==', 'base64')
    expect(decode('[{"bn":"/0/0/5","vd":"ab+/cd+/ef+/gh+/ij+/kA=="}]', '/0/0/5')).toEqual({ kind: 'resource', id: 5, type: 'opaque', value: new Uint8Array(key) })
    // One value, one alphabet: a mix of both is not base64 of either kind.
    expect(() => decode('[{"bn":"/0/0/3","vd":"+_+/"}]', '/0/0/3')).toThrow(CodecError)
  })

  it('decodes an object of several instances each with its own base name', () => {
    const obj = decode(
      '[{"bn":"/2/3/","n":"0","v":3},{"n":"1","v":1},{"n":"3","v":123},{"bn":"/2/2/","n":"0","v":4},{"n":"1","v":2},{"n":"3","v":124}]',
      '/2',
    ) as ObjectNode
    expect([...obj.instances.keys()]).toEqual([3, 2])
    expect(obj.instances.get(2)?.resources.get(3)).toEqual({ kind: 'resource', id: 3, type: 'integer', value: 124 })
  })

  it('decodes full names without base name and floats written as integers', () => {
    expect(decode('[{"n":"/6/0/3","v":20.0}]', '/6/0/3')).toEqual({ kind: 'resource', id: 3, type: 'float', value: 20 })
    expect(decode('[{"bn":"/3/0/13","v":1.638435E9}]', '/3/0/13')).toEqual({
      kind: 'resource', id: 13, type: 'time', value: new Date(1638435000000),
    })
  })

  it('keeps 64-bit integers exact', () => {
    expect(decode('[{"n":"/0/0/16","v":18446744073709551615}]', '/0/0/16')).toEqual({
      kind: 'resource', id: 16, type: 'unsigned', value: 18446744073709551615n,
    })
    expect(decode('[{"n":"/1/0/2","v":9223372036854775800}]', '/1/0/2')).toEqual({
      kind: 'resource', id: 2, type: 'integer', value: 9223372036854775800n,
    })
  })

  it('decodes an empty payload or array as an empty instance or multiple resource', () => {
    expect(decode('', '/3/0/6')).toEqual({ kind: 'multipleResource', id: 6, type: 'integer', instances: new Map() })
    expect(decode('[]', '/3/0')).toEqual({ kind: 'instance', id: 0, resources: new Map() })
  })

  it('resolves a base name cut in the middle of an id (RFC 8428 concatenation)', () => {
    const res = decode('[{"bn":"/3/0/1","n":"1/0","v":0},{"n":"1/1","v":0}]', '/3/0/11') as ResourceNode
    expect(res.kind).toBe('multipleResource')
  })

  it('decodes object links from vlo', () => {
    const inst = decode('[{"bn":"/65/0/","n":"0/0","vlo":"66:0"},{"n":"0/1","vlo":"66:1"}]', '/65/0') as ObjectInstanceNode
    expect(inst.resources.get(0)).toEqual({
      kind: 'multipleResource', id: 0, type: 'objlnk',
      instances: new Map([[0, { objectId: 66, instanceId: 0 }], [1, { objectId: 66, instanceId: 1 }]]),
    })
  })

  it('keeps the latest of timestamped records for the same resource', () => {
    const res = decode('[{"bn":"/6/0/0","bt":100,"v":1.5},{"t":10,"v":2.5},{"t":-5,"v":3.5}]', '/6/0/0')
    expect(res).toEqual({ kind: 'resource', id: 0, type: 'float', value: 2.5 })
  })

  it.each([
    ['not JSON', '[{', '/3/0', 'expected a member name'],
    ['a record outside the request path', '[{"n":"/3/1/0","vs":"x"}]', '/3/0', 'outside the request path'],
    ['a record without value', '[{"n":"/3/0/0"}]', '/3/0', 'no value'],
    ['two values in one record', '[{"n":"/3/0/0","vs":"x","v":1}]', '/3/0', 'more than one value'],
    ['a duplicate resource', '[{"n":"/3/0/0","vs":"x"},{"n":"/3/0/0","vs":"y"}]', '/3/0', 'duplicate'],
    ['a string for an integer resource', '[{"n":"/3/0/9","vs":"x"}]', '/3/0', 'expected a number'],
    ['a fraction for an integer resource', '[{"n":"/3/0/9","v":1.5}]', '/3/0', 'not an integer'],
    ['a negative unsigned', '[{"n":"/0/0/16","v":-1}]', '/0/0', 'out of range'],
    ['an integer beyond int64', '[{"n":"/3/0/9","v":9223372036854775808}]', '/3/0', 'out of range'],
    ['an instance id on a single resource', '[{"n":"/3/0/9/0","v":1}]', '/3/0', 'single-instance'],
    ['a multiple resource without instance id', '[{"n":"/3/0/6","v":1}]', '/3/0', 'multiple-instance'],
    ['a bad object link', '[{"n":"/65/0/0/0","vlo":"66"}]', '/65/0', 'object link'],
    ['bad base64', '[{"n":"/0/0/3","vd":"q8*v"}]', '/0/0', 'not base64'],
    ['a must-understand field', '[{"n":"/3/0/0","vs":"x","foo_":1}]', '/3/0', 'must-understand'],
    ['an object name', '[{"n":"/3","vs":"x"}]', '/3/0', 'not a resource path'],
    ['a bad name', '[{"n":"/3/x/0","vs":"x"}]', '/3/0', 'not an LwM2M path'],
    ['a value for an executable resource', '[{"n":"/3/0/4","vs":""}]', '/3/0', 'executable'],
    ['duplicate members', '[{"n":"/3/0/0","n":"/3/0/1","vs":"x"}]', '/3/0', 'duplicate member'],
  ])('rejects %s', (_what, payload, path, message) => {
    expect(() => decode(payload, path)).toThrow(CodecError)
    expect(() => decode(payload, path)).toThrow(message)
  })

  it('reports the offset of the offending record', () => {
    try {
      decode('[{"n":"/3/0/0","vs":"x"}, {"n":"/3/0/9","vs":"y"}]', '/3/0')
      expect.unreachable()
    } catch (err) {
      expect((err as CodecError).offset).toBe(26)
    }
  })

  it('refuses a node that does not match the request path', () => {
    expect(() => senmlJsonCodec.encode(deviceInstance(), parsePath('/3/1'), models)).toThrow(CodecError)
  })
})
