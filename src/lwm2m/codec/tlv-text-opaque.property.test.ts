import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError } from '../errors.js'
import { parsePath, type LwM2mPath } from '../path.js'
import type { LwM2mNode, ObjectInstanceNode, ObjectNode, ResourceNode, ResourceType, ResourceValue } from '../node.js'
import type { ObjectModel, ResourceModel } from '../model.js'
import { createModelRegistry, loadDefaultModels } from '../models/registry.js'
import type { NodeCodec } from './types.js'
import { tlvCodec } from './tlv.js'
import { textCodec } from './text.js'
import { opaqueCodec } from './opaque.js'
import { INT64_MAX, INT64_MIN, UINT64_MAX, normalizeInteger } from './values.js'

/**
 * Round trips across every resource type, and fuzzing of every decoder: random or mutated bytes
 * either decode to a value that re-encodes to the same meaning, or fail with a CodecError.
 */

const TYPES: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none']
const OBJECT_ID = 40000

/** A synthetic object: resource i (0..9) is single of TYPES[i], resource 10 + i multiple of it. */
function syntheticModel(): ObjectModel {
  const resources = new Map<number, ResourceModel>()
  TYPES.forEach((type, i) => {
    for (const multiple of [false, true]) {
      const id = i + (multiple ? 10 : 0)
      resources.set(id, { id, name: `r${id}`, operations: 'RW', multiple, mandatory: false, type })
    }
  })
  return { id: OBJECT_ID, name: 'Synthetic', version: '1.0', multiple: true, mandatory: false, resources }
}

const models = createModelRegistry([...loadDefaultModels().objects(), syntheticModel()])

const string = fc.string({ unit: 'grapheme', maxLength: 40 })
const VALUE: Record<ResourceType, fc.Arbitrary<ResourceValue>> = {
  string,
  corelnk: string,
  integer: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(normalizeInteger),
  unsigned: fc.bigInt({ min: 0n, max: UINT64_MAX }).map(normalizeInteger),
  float: fc.double(),
  boolean: fc.boolean(),
  opaque: fc.uint8Array({ maxLength: 300 }),
  time: fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }).map((s) => new Date(s * 1000)),
  objlnk: fc.record({ objectId: fc.integer({ min: 0, max: 65535 }), instanceId: fc.integer({ min: 0, max: 65535 }) }),
  none: fc.constant(null),
}

const resourceId = fc.integer({ min: 0, max: 65534 })

function resourceNode(typeIndex: number, multiple: boolean): fc.Arbitrary<ResourceNode> {
  const type = TYPES[typeIndex]
  const id = typeIndex + (multiple ? 10 : 0)
  if (!multiple) return VALUE[type].map((value) => ({ kind: 'resource', id, type, value }))
  return fc
    .uniqueArray(fc.tuple(resourceId, VALUE[type]), { selector: ([ri]) => ri, maxLength: 5 })
    .map((entries) => ({ kind: 'multipleResource', id, type, instances: new Map(entries) }))
}

const instanceNode: fc.Arbitrary<ObjectInstanceNode> = fc
  .tuple(
    resourceId,
    fc.subarray(
      TYPES.flatMap((_, i) => [[i, false] as const, [i, true] as const]).filter(([i, m]) => !(TYPES[i] === 'none' && m)),
    ),
  )
  .chain(([id, picks]) =>
    fc.tuple(...picks.map(([i, m]) => resourceNode(i, m))).map((rs) => ({
      kind: 'instance' as const,
      id,
      resources: new Map(rs.map((r) => [r.id, r])),
    })),
  )

const objectNode: fc.Arbitrary<ObjectNode> = fc
  .uniqueArray(instanceNode, { selector: (i) => i.id, maxLength: 3 })
  .map((instances) => ({ kind: 'object', id: OBJECT_ID, instances: new Map(instances.map((i) => [i.id, i])) }))

function roundTrip(codec: NodeCodec, node: LwM2mNode, path: LwM2mPath): void {
  const decoded = codec.decode(codec.encode(node, path, models), path, models)
  expect(decoded).toEqual(node)
}

describe('TLV round trips', () => {
  it('round-trips whole objects of every type', () => {
    fc.assert(fc.property(objectNode, (node) => roundTrip(tlvCodec, node, { objectId: OBJECT_ID })))
  })

  it('round-trips object instances', () => {
    fc.assert(fc.property(instanceNode, (node) => roundTrip(tlvCodec, node, { objectId: OBJECT_ID, instanceId: node.id })))
  })

  it('round-trips single and multiple resources of every type', () => {
    const arb = fc.tuple(fc.integer({ min: 0, max: TYPES.length - 1 }), fc.boolean()).chain(([i, m]) => resourceNode(i, m))
    fc.assert(
      fc.property(arb, (node) => roundTrip(tlvCodec, node, { objectId: OBJECT_ID, instanceId: 0, resourceId: node.id })),
    )
  })

  it('round-trips resource instances of every type', () => {
    const arb = fc.tuple(fc.integer({ min: 0, max: TYPES.length - 1 }), resourceId).chain(([i, ri]) =>
      VALUE[TYPES[i]].map((value) => ({ node: { kind: 'resourceInstance' as const, id: ri, type: TYPES[i], value }, rid: i + 10 })),
    )
    fc.assert(
      fc.property(arb, ({ node, rid }) =>
        roundTrip(tlvCodec, node, { objectId: OBJECT_ID, instanceId: 0, resourceId: rid, resourceInstanceId: node.id }),
      ),
    )
  })
})

describe('plain-text and opaque round trips', () => {
  const textable = TYPES.filter((t) => t !== 'none')
  it('round-trips every type but executable in plain text', () => {
    const arb = fc.integer({ min: 0, max: textable.length - 1 }).chain((i) =>
      VALUE[textable[i]]
        .filter((v) => typeof v !== 'number' || Number.isFinite(v))
        .map((value) => ({ kind: 'resource' as const, id: TYPES.indexOf(textable[i]), type: textable[i], value })),
    )
    fc.assert(fc.property(arb, (node) => roundTrip(textCodec, node, { objectId: OBJECT_ID, instanceId: 0, resourceId: node.id })))
  })

  it('round-trips opaque bytes', () => {
    fc.assert(
      fc.property(VALUE.opaque, (value) =>
        roundTrip(opaqueCodec, { kind: 'resource', id: 5, type: 'opaque', value }, { objectId: OBJECT_ID, instanceId: 0, resourceId: 5 }),
      ),
    )
  })
})

describe('malformed input', () => {
  const PATHS = ['/3', '/3/0', '/3/0/6', '/3/0/7/1', '/2', '/1/0', '/3303/0/5700', `/${OBJECT_ID}`, `/${OBJECT_ID}/0`, '/42000/0', '/5/0/0', '/3/0/13']
  const DEVICE = Buffer.from(
    'C800144F70656E204D6F62696C6520416C6C69616E6365C30331 2E30860641000141 0105C10964C40D5182428F'.replace(/\s/g, ''),
    'hex',
  )

  /** Decoding either fails with a CodecError or yields a node that survives a re-encode. */
  function decodesSafely(codec: NodeCodec, bytes: Uint8Array, pathText: string): void {
    const path = parsePath(pathText)
    let node: LwM2mNode
    try {
      node = codec.decode(bytes, path, models)
    } catch (err) {
      if (!(err instanceof CodecError)) throw err
      return
    }
    const again = codec.decode(codec.encode(node, path, models), path, models)
    expect(again).toEqual(node)
  }

  for (const codec of [tlvCodec, textCodec, opaqueCodec]) {
    it(`${codec.name} decoder survives random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...PATHS), (bytes, path) =>
          decodesSafely(codec, bytes, path),
        ),
        { numRuns: 500 },
      )
    })
  }

  it('TLV decoder survives mutations of a valid payload', () => {
    const mutation = fc.tuple(
      fc.array(fc.tuple(fc.nat(DEVICE.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(DEVICE.length),
    )
    fc.assert(
      fc.property(mutation, fc.constantFrom('/3/0', '/3'), ([edits, cut], path) => {
        const bytes = Uint8Array.from(DEVICE.subarray(0, cut))
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value
        decodesSafely(tlvCodec, bytes, path)
      }),
      { numRuns: 1000 },
    )
  })
})
