import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSenmlJsonCodec, senmlJsonCodec } from './senml-json.js'
import { createSenmlCborCodec, senmlCborCodec } from './senml-cbor.js'
import { createLwm2mJsonCodec, lwm2mJsonCodec } from './lwm2m-json.js'
import type { NodeCodec } from './types.js'
import { CodecError } from '../errors.js'
import { parsePath, toPath } from '../path.js'
import type { ObjectNode } from '../node.js'
import { testModels, VALUE_TYPES } from './test-models.js'
import { instanceOf, resourceOf } from './arbitraries.js'

const models = testModels()
const codecs: [string, NodeCodec, boolean][] = [
  ['senml-json', senmlJsonCodec, false],
  ['senml-cbor', senmlCborCodec, true],
  ['lwm2m-json', lwm2mJsonCodec, false],
]

describe.each(codecs)('%s', (_name, codec, nonFinite) => {
  it(`decodes what it encodes for instances of every resource type (${codec.name})`, () => {
    fc.assert(
      fc.property(instanceOf({ nonFinite }), (inst) => {
        const path = toPath([1024, inst.id])
        expect(codec.decode(codec.encode(inst, path, models), path, models)).toEqual(inst)
      }),
      { numRuns: 300 },
    )
  })

  it(`decodes what it encodes for objects, resources and resource instances (${codec.name})`, () => {
    fc.assert(
      fc.property(fc.array(instanceOf({ nonFinite }), { maxLength: 3 }), (list) => {
        const instances = new Map(list.map((i) => [i.id, i]))
        const obj: ObjectNode = { kind: 'object', id: 1024, instances }
        expect(codec.decode(codec.encode(obj, parsePath('/1024'), models), parsePath('/1024'), models)).toEqual(obj)
      }),
      { numRuns: 100 },
    )
    fc.assert(
      fc.property(fc.nat(VALUE_TYPES.length - 1), fc.boolean(), fc.nat(1000), (t, multiple, seed) => {
        const res = fc.sample(resourceOf(t, multiple, { nonFinite }), { numRuns: 1, seed })[0]
        const path = toPath([1024, 0, res.id])
        expect(codec.decode(codec.encode(res, path, models), path, models)).toEqual(res)
        if (res.kind === 'multipleResource') {
          const [ri, value] = [...res.instances][0]
          const ripath = toPath([1024, 0, res.id, ri])
          const node = { kind: 'resourceInstance' as const, id: ri, type: res.type, value }
          expect(codec.decode(codec.encode(node, ripath, models), ripath, models)).toEqual(node)
        }
      }),
      { numRuns: 200 },
    )
  })

  it(`throws only CodecError on random bytes (${codec.name})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('/3', '/3/0', '/3/0/6', '/1024/0/3', '/3/0/6/0'), (bytes, p) => {
        expectOnlyCodecError(() => codec.decode(bytes, parsePath(p), models))
      }),
      { numRuns: 1000 },
    )
  })

  it(`throws only CodecError on mutated valid payloads (${codec.name})`, () => {
    fc.assert(
      fc.property(instanceOf({ nonFinite }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'cut')), { minLength: 1, maxLength: 4 }), (inst, edits) => {
        const path = toPath([1024, inst.id])
        let bytes = [...codec.encode(inst, path, models)]
        for (const [at, byte, op] of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length
          if (op === 'set') bytes[i] = byte
          else if (op === 'insert') bytes.splice(i, 0, byte)
          else if (op === 'delete') bytes.splice(i, 1)
          else bytes = bytes.slice(0, i)
        }
        expectOnlyCodecError(() => codec.decode(new Uint8Array(bytes), path, models))
      }),
      { numRuns: 500 },
    )
  })
})

describe('JSON decoders on arbitrary JSON', () => {
  it('throw only CodecError on any JSON document', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        const bytes = new TextEncoder().encode(text)
        for (const codec of [senmlJsonCodec, lwm2mJsonCodec]) expectOnlyCodecError(() => codec.decode(bytes, parsePath('/1024/0'), models))
      }),
      { numRuns: 1000 },
    )
  })

  it('throw only CodecError on SenML-shaped records with arbitrary fields', () => {
    const field = fc.constantFrom('bn', 'bt', 'n', 'v', 'vs', 'vb', 'vd', 'vlo', 't', 'bv', 'sv', 'ov')
    const value = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('/1024/0/', '0', '1/0', '3:0', 'q83v', 1e300, -1))
    const record = fc.dictionary(field, value, { maxKeys: 4 })
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), (records) => {
        const senml = new TextEncoder().encode(JSON.stringify(records))
        const json = new TextEncoder().encode(JSON.stringify({ bn: '/1024/0/', e: records }))
        expectOnlyCodecError(() => senmlJsonCodec.decode(senml, parsePath('/1024/0'), models))
        expectOnlyCodecError(() => lwm2mJsonCodec.decode(json, parsePath('/1024/0'), models))
      }),
      { numRuns: 1000 },
    )
  })

  it('refuses payloads nested deeper than the limit without overflowing the stack', () => {
    const deep = new TextEncoder().encode('['.repeat(100_000) + ']'.repeat(100_000))
    expect(() => senmlJsonCodec.decode(deep, parsePath('/3/0'), models)).toThrow('nesting deeper')
    const deepCbor = new Uint8Array(100_000).fill(0x81)
    expect(() => senmlCborCodec.decode(deepCbor, parsePath('/3/0'), models)).toThrow('nesting deeper')
  })

  it('refuses payloads larger than the size limit', () => {
    const big = new Uint8Array(2 * 1024 * 1024).fill(0x20)
    expect(() => senmlJsonCodec.decode(big, parsePath('/3/0'), models)).toThrow('larger than')
    expect(() => senmlCborCodec.decode(big, parsePath('/3/0'), models)).toThrow('larger than')
  })
})

describe('codec limits', () => {
  const limits = { maxPayloadBytes: 200, maxRecords: 2, maxDepth: 3 }
  const three = toPath([1024, 0])

  it('refuse more records than the limit', () => {
    const senml = new TextEncoder().encode('[{"n":"/1024/0/0","vs":"a"},{"n":"/1024/0/1","v":1},{"n":"/1024/0/4","vb":true}]')
    expect(() => createSenmlJsonCodec(limits).decode(senml, three, models)).toThrow('more than 2')
    const json = new TextEncoder().encode('{"e":[{"n":"/1024/0/0","sv":"a"},{"n":"/1024/0/1","v":1},{"n":"/1024/0/4","bv":true}]}')
    expect(() => createLwm2mJsonCodec(limits).decode(json, three, models)).toThrow('more than 2')
    const cbor = senmlCborCodec.encode(
      { kind: 'instance', id: 0, resources: new Map([0, 1, 4].map((id) => [id, { kind: 'resource' as const, id, type: 'boolean' as const, value: true }])) },
      three,
      models,
    )
    expect(() => createSenmlCborCodec(limits).decode(cbor, three, models)).toThrow('more than 2')
  })

  it('refuse payloads over the size limit', () => {
    const big = new TextEncoder().encode(`[{"n":"/1024/0/0","vs":"${'x'.repeat(300)}"}]`)
    expect(() => createSenmlJsonCodec(limits).decode(big, three, models)).toThrow('larger than 200')
  })
})

function expectOnlyCodecError(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
  }
}
