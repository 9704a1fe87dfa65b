import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeCompositeNodes, decodeCompositePaths, encodeCompositeNodes, encodeCompositePaths, type PathNode } from './composite.js'
import { ContentFormat } from '../content-format.js'
import { CodecError } from '../errors.js'
import { parsePath, toPath } from '../path.js'
import type { ResourceNode } from '../node.js'
import { testModels } from './test-models.js'
import { instanceOf } from './arbitraries.js'

const models = testModels()
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const res = (id: number, type: 'string' | 'integer' | 'float' | 'time', value: string | number | Date): ResourceNode => ({ kind: 'resource', id, type, value })

describe('composite payloads (LwM2M 1.1)', () => {
  it('writes and reads the paths of a Read-Composite request as Leshan does', () => {
    const paths = ['/4/0/0', '/4/0/1', '/4/0/2'].map(parsePath)
    expect(dec(encodeCompositePaths(ContentFormat.SENML_JSON, paths))).toBe('[{"n":"/4/0/0"},{"n":"/4/0/1"},{"n":"/4/0/2"}]')
    expect(decodeCompositePaths(ContentFormat.SENML_JSON, enc('[{"bn":"/4/0/", "n":"0"},{"n":"1"},{"n":"2"}]'))).toEqual(paths)
    expect(decodeCompositePaths(ContentFormat.SENML_CBOR, encodeCompositePaths(ContentFormat.SENML_CBOR, paths))).toEqual(paths)
  })

  it('refuses path records that carry a value or a time', () => {
    expect(() => decodeCompositePaths(ContentFormat.SENML_JSON, enc('[{"bn":"/4/0/", "n":"0"},{"n":"1", "v":200}]'))).toThrow(CodecError)
    expect(() => decodeCompositePaths(ContentFormat.SENML_JSON, enc('[{"n":"/4/0/1", "t":20000000}]'))).toThrow(CodecError)
  })

  it('writes resources and an instance each at its path as Leshan does', () => {
    const nodes: PathNode[] = [
      [parsePath('/3/0/0'), res(0, 'string', 'Open Mobile Alliance')],
      [parsePath('/3/0/9'), res(9, 'integer', 95)],
      [parsePath('/1/0/1'), res(1, 'integer', 86400)],
      [parsePath('/6/0'), { kind: 'instance', id: 0, resources: new Map([[0, res(0, 'float', 43.918998)], [1, res(1, 'float', 2.351149)]]) }],
    ]
    const json = encodeCompositeNodes(ContentFormat.SENML_JSON, nodes)
    expect(dec(json)).toBe(
      '[{"bn":"/3/0/0","vs":"Open Mobile Alliance"},{"bn":"/3/0/9","v":95},{"bn":"/1/0/1","v":86400},' +
        '{"bn":"/6/0/","n":"0","v":43.918998},{"n":"1","v":2.351149}]',
    )
    const paths = nodes.map(([p]) => p)
    expect(decodeCompositeNodes(ContentFormat.SENML_JSON, json, paths, models)).toEqual(nodes)
  })

  it('reads a Write-Composite or Send payload without paths as one node per record', () => {
    const payload = enc('[{"bn":"/4/0/0","v":45},{"bn":"/6/0/","n":"0","v":43.918998},{"n":"5","v":1610029880}]')
    expect(decodeCompositeNodes(ContentFormat.SENML_JSON, payload, undefined, models)).toEqual([
      [parsePath('/4/0/0'), { kind: 'resource', id: 0, type: 'integer', value: 45 }],
      [parsePath('/6/0/0'), res(0, 'float', 43.918998)],
      [parsePath('/6/0/5'), res(5, 'time', new Date(1610029880000))],
    ])
  })

  it('refuses a record under none of the requested paths, and other formats', () => {
    const payload = enc('[{"bn":"/3/0/0","vs":"x"},{"bn":"/3/0/9","v":95}]')
    expect(() => decodeCompositeNodes(ContentFormat.SENML_JSON, payload, [parsePath('/3/0/0')], models)).toThrow('none of the requested paths')
    expect(() => encodeCompositePaths(ContentFormat.TLV, [])).toThrow(CodecError)
  })

  it.each([ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR])('round-trips instances of several objects (format %i)', (format) => {
    fc.assert(
      fc.property(fc.uniqueArray(instanceOf({ nonFinite: format === ContentFormat.SENML_CBOR }), { selector: (i) => i.id, maxLength: 3 }), (list) => {
        const nodes: PathNode[] = list.filter((i) => i.resources.size > 0).map((i) => [toPath([1024, i.id]), i])
        const bytes = encodeCompositeNodes(format, nodes)
        expect(decodeCompositeNodes(format, bytes, nodes.map(([p]) => p), models)).toEqual(nodes)
      }),
      { numRuns: 100 },
    )
  })
})
