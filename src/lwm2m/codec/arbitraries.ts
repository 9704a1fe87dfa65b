import fc from 'fast-check'
import type { ObjectInstanceNode, ResourceNode, ResourceType, ResourceValue } from '../node.js'
import { normalizeInteger } from './values.js'
import { VALUE_TYPES } from './test-models.js'

/**
 * fast-check generators of LwM2M nodes for codec property tests, shaped on object 1024 of
 * test-models.ts: resource `i` is a single resource of VALUE_TYPES[i], `100 + i` a multiple one.
 */

export interface ValueOptions {
  /** Whether NaN and ±Infinity may appear (not in the JSON formats, which cannot carry them). */
  readonly nonFinite?: boolean
}

/** Values of one resource type, in the node's canonical JavaScript form. */
export function valueOf(type: ResourceType, options: ValueOptions = {}): fc.Arbitrary<ResourceValue> {
  switch (type) {
    case 'string':
    case 'corelnk':
      return fc.string({ unit: 'grapheme', maxLength: 40 })
    case 'integer':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(normalizeInteger)
    case 'unsigned':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(normalizeInteger)
    case 'float':
      return fc.double({ noNaN: !options.nonFinite, noDefaultInfinity: !options.nonFinite })
    case 'boolean':
      return fc.boolean()
    case 'opaque':
      return fc.uint8Array({ maxLength: 64 })
    case 'time':
      return fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }).map((s) => new Date(s * 1000))
    case 'objlnk':
      return fc.record({ objectId: fc.integer({ min: 0, max: 65535 }), instanceId: fc.integer({ min: 0, max: 65535 }) })
    case 'none':
      return fc.constant(null)
  }
}

const id = fc.integer({ min: 0, max: 65534 })

/** A resource of object 1024: single (id i) or multiple (id 100 + i) of VALUE_TYPES[i]. */
export function resourceOf(typeIndex: number, multiple: boolean, options: ValueOptions = {}): fc.Arbitrary<ResourceNode> {
  const type = VALUE_TYPES[typeIndex]
  if (!multiple) return valueOf(type, options).map((value): ResourceNode => ({ kind: 'resource', id: typeIndex, type, value }))
  return fc
    .uniqueArray(fc.tuple(id, valueOf(type, options)), { selector: ([ri]) => ri, minLength: 1, maxLength: 4 })
    .map((pairs): ResourceNode => ({ kind: 'multipleResource', id: 100 + typeIndex, type, instances: new Map(pairs) }))
}

/** An instance of object 1024 holding any subset of its resources, with any values. */
export function instanceOf(options: ValueOptions = {}): fc.Arbitrary<ObjectInstanceNode> {
  const slots = VALUE_TYPES.flatMap((_, i) => [fc.option(resourceOf(i, false, options), { nil: undefined }), fc.option(resourceOf(i, true, options), { nil: undefined })])
  return fc.tuple(id, ...slots).map(([instanceId, ...resources]) => ({
    kind: 'instance',
    id: instanceId,
    resources: new Map(resources.filter((r): r is ResourceNode => r !== undefined).map((r) => [r.id, r])),
  }))
}
