import { describe, expect, it } from 'vitest'
import { flattenNode, unflatten } from './flatten.js'
import { CodecError } from '../errors.js'
import { parsePath } from '../path.js'
import type { ObjectInstanceNode, ResourceNode } from '../node.js'
import { testModels } from './test-models.js'
import { deviceInstance } from './device-example.js'

const models = testModels()

describe('flattenNode / unflatten', () => {
  it('flattens the Device instance to full resource paths with time as seconds', () => {
    const flat = flattenNode(deviceInstance(), parsePath('/3/0'))
    expect(flat['/3/0/0']).toBe('Open Mobile Alliance')
    expect(flat['/3/0/6/0']).toBe(1)
    expect(flat['/3/0/6/1']).toBe(5)
    expect(flat['/3/0/13']).toBe(1367491215)
    expect(Object.keys(flat)).toHaveLength(16)
  })

  it('writes opaque as 0x hex, object links as o:i, big integers as strings', () => {
    const inst: ObjectInstanceNode = {
      kind: 'instance',
      id: 0,
      resources: new Map<number, ResourceNode>([
        [5, { kind: 'resource', id: 5, type: 'opaque', value: new Uint8Array([0xde, 0xad]) }],
        [7, { kind: 'resource', id: 7, type: 'objlnk', value: { objectId: 3, instanceId: 0 } }],
        [2, { kind: 'resource', id: 2, type: 'unsigned', value: 18446744073709551615n }],
        [4, { kind: 'resource', id: 4, type: 'boolean', value: false }],
      ]),
    }
    const flat = flattenNode(inst, parsePath('/1024/0'))
    expect(flat).toEqual({ '/1024/0/5': '0xdead', '/1024/0/7': '3:0', '/1024/0/2': '18446744073709551615', '/1024/0/4': false })
    expect(unflatten(flat, parsePath('/1024/0'), models)).toEqual(inst)
  })

  it('unflattens the Device instance back to the same node', () => {
    const flat = flattenNode(deviceInstance(), parsePath('/3/0'))
    expect(unflatten(flat, parsePath('/3/0'), models)).toEqual(deviceInstance())
  })

  it('flattens a single resource and a resource instance by their full paths', () => {
    expect(flattenNode({ kind: 'resource', id: 9, type: 'integer', value: 95 }, parsePath('/3/0/9'))).toEqual({ '/3/0/9': 95 })
    expect(flattenNode({ kind: 'resourceInstance', id: 1, type: 'integer', value: 5 }, parsePath('/3/0/6/1'))).toEqual({ '/3/0/6/1': 5 })
  })

  it('types resources the model lacks from their JSON values', () => {
    expect(unflatten({ '/9999/0/1': 2.5, '/9999/0/2': 'x', '/9999/0/3': true }, parsePath('/9999/0'), models)).toEqual({
      kind: 'instance',
      id: 0,
      resources: new Map<number, ResourceNode>([
        [1, { kind: 'resource', id: 1, type: 'float', value: 2.5 }],
        [2, { kind: 'resource', id: 2, type: 'string', value: 'x' }],
        [3, { kind: 'resource', id: 3, type: 'boolean', value: true }],
      ]),
    })
  })

  it.each([
    ['a key that is not a path', { 'x/0/1': 1 }],
    ['a key outside the path', { '/3/1/9': 1 }],
    ['a wrong type', { '/3/0/9': 'many' }],
    ['bad hex for opaque', { '/5/0/0': '0xzz' }],
    ['an object-level key', { '/3': 1 }],
  ])('rejects %s', (_what, flat) => {
    expect(() => unflatten(flat, parsePath('/3/0'), models)).toThrow(CodecError)
  })
})
