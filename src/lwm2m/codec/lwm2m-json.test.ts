import { describe, expect, it } from 'vitest'
import { lwm2mJsonCodec } from './lwm2m-json.js'
import { CodecError } from '../errors.js'
import { parsePath } from '../path.js'
import type { LwM2mNode, ObjectInstanceNode, ResourceNode } from '../node.js'
import { testModels } from './test-models.js'
import { deviceInstance } from './device-example.js'

const models = testModels()
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const decode = (s: string, path: string): LwM2mNode => lwm2mJsonCodec.decode(enc(s), parsePath(path), models)

// The Device object read of LwM2M TS 1.0 §6.4.4, byte for byte as Leshan's tests have it.
const DEVICE_JSON =
  '{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"1","sv":"Lightweight M2M Client"},' +
  '{"n":"2","sv":"345000123"},{"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},' +
  '{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},' +
  '{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},' +
  '{"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]}'

describe('lwm2m-json codec', () => {
  it('encodes the Device object instance of the specification byte for byte', () => {
    expect(dec(lwm2mJsonCodec.encode(deviceInstance(), parsePath('/3/0'), models))).toBe(DEVICE_JSON)
  })

  it('decodes the Device object instance of the specification', () => {
    expect(decode(DEVICE_JSON, '/3/0')).toEqual(deviceInstance())
  })

  it('decodes the same read with a root base name or no base name', () => {
    const rooted = DEVICE_JSON.replace('"bn":"/3/0/"', '"bn":"/"').replace(/"n":"/g, '"n":"3/0/')
    expect(decode(rooted, '/3/0')).toEqual(deviceInstance())
    const bare = DEVICE_JSON.replace('"bn":"/3/0/",', '').replace(/"n":"/g, '"n":"/3/0/')
    expect(decode(bare, '/3/0')).toEqual(deviceInstance())
  })

  it('decodes strings, floats and booleans of a custom object', () => {
    const inst = decode('{"bn":"1024/0/", "e":[{"n":"0","sv":"a string"},{"n":"3","v":10.5},{"n":"4","bv":true}]}', '/1024/0') as ObjectInstanceNode
    expect(inst.resources.get(0)).toEqual({ kind: 'resource', id: 0, type: 'string', value: 'a string' })
    expect(inst.resources.get(3)).toEqual({ kind: 'resource', id: 3, type: 'float', value: 10.5 })
    expect(inst.resources.get(4)).toEqual({ kind: 'resource', id: 4, type: 'boolean', value: true })
  })

  it('carries opaque values as base64 in sv and object links in ov', () => {
    const pkg: ResourceNode = { kind: 'resource', id: 5, type: 'opaque', value: new Uint8Array([1, 2, 3, 4, 5]) }
    const bytes = lwm2mJsonCodec.encode(pkg, parsePath('/1024/0/5'), models)
    expect(dec(bytes)).toBe('{"bn":"/1024/0/5","e":[{"sv":"AQIDBAU="}]}')
    expect(lwm2mJsonCodec.decode(bytes, parsePath('/1024/0/5'), models)).toEqual(pkg)
    const link: ResourceNode = { kind: 'resource', id: 7, type: 'objlnk', value: { objectId: 3, instanceId: 0 } }
    expect(dec(lwm2mJsonCodec.encode(link, parsePath('/1024/0/7'), models))).toBe('{"bn":"/1024/0/7","e":[{"ov":"3:0"}]}')
  })

  it('writes an instance read at the object path with the object as base name', () => {
    const bytes = lwm2mJsonCodec.encode(deviceInstance(), parsePath('/3'), models)
    expect(dec(bytes)).toMatch(/^\{"bn":"\/3\/","e":\[\{"n":"0\/0","sv":"Open Mobile Alliance"\}/)
    expect(lwm2mJsonCodec.decode(bytes, parsePath('/3'), models)).toEqual({ kind: 'object', id: 3, instances: new Map([[0, deviceInstance()]]) })
  })

  it('decodes an empty "e" as an empty object, instance or multiple resource', () => {
    expect(decode('{"e":[]}', '/2')).toEqual({ kind: 'object', id: 2, instances: new Map() })
    expect(decode('{"bn":"2/0", "e":[]}', '/2/0')).toEqual({ kind: 'instance', id: 0, resources: new Map() })
    expect(decode('{"bn":"3/0/6", "e":[]}', '/3/0/6')).toEqual({ kind: 'multipleResource', id: 6, type: 'integer', instances: new Map() })
  })

  it('keeps the latest of timestamped entries', () => {
    const res = decode('{"bn":"/6/0/0","e":[{"v":22.9,"t":-30},{"v":22.4,"t":-5},{"v":24.1,"t":-50}],"bt":25462634}', '/6/0/0')
    expect(res).toEqual({ kind: 'resource', id: 0, type: 'float', value: 22.4 })
  })

  it.each([
    ['an object without "e"', '{}', '/2'],
    ['no value for a single resource', '{"bn":"2/0/0", "e":[]}', '/2/0/0'],
    ['an entry without value', '{"bn":"2/0/","e":[{"n":"0"}]}', '/2/0'],
    ['two resources with the same id', '{"bn":"3/0/","e":[{"n":"1","sv":"a"},{"n":"1","sv":"b"}]}', '/3/0'],
    ['two instances with the same id', '{"bn":"3/0/11/","e":[{"n":"1","v":2},{"n":"1","v":0}]}', '/3/0/11'],
    ['a non-string base name', '{"bn":3,"e":[]}', '/3/0'],
    ['an array', '[]', '/3/0'],
    ['bad base64 for an opaque resource', '{"bn":"/5/0/0","e":[{"sv":"!,-INVALID$_\'"}]}', '/5/0/0'],
  ])('rejects %s', (_what, payload, path) => {
    expect(() => decode(payload, path)).toThrow(CodecError)
  })
})
