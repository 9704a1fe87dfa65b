import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import { formatPath, pathLevel, type LwM2mPath } from '../path.js'
import type {
  LwM2mNode,
  MultipleResource,
  ObjectInstanceNode,
  ObjectNode,
  ResourceInstanceNode,
  ResourceNode,
  ResourceValue,
} from '../node.js'
import type { ModelRegistry } from '../model.js'
import type { NodeCodec } from './types.js'
import { DEFAULT_TLV_LIMITS, concatBytes, readTlvs, writeTlv, type Tlv, type TlvLimits } from './tlv-frame.js'
import { decodeTlvValue, encodeTlvValue } from './tlv-values.js'

/**
 * OMA-TLV (11542), the binary format every LwM2M 1.0 and 1.1 client speaks. The request path
 * gives the level of the payload: /o holds object-instance TLVs, /o/i resource TLVs, /o/i/r one
 * resource (or, leniently, the bare resource instances of a multiple resource) and /o/i/r/ri one
 * resource instance. As Leshan, a single object-instance TLV is also accepted at /o/i, and bare
 * resources at /o for a single-instance object (instance 0). Resources without a model decode as
 * opaque, so unknown objects still read.
 */

/** Builds a TLV codec with the given decoding limits. */
export function createTlvCodec(limits: TlvLimits = DEFAULT_TLV_LIMITS): NodeCodec {
  return {
    format: ContentFormat.TLV,
    name: 'tlv',
    decode: (payload, path, models) => decodeTlv(payload, path, models, limits),
    encode: (node, path) => encodeTlv(node, path),
  }
}

/** The TLV codec with default limits. */
export const tlvCodec: NodeCodec = createTlvCodec()

function fail(reason: string, offset?: number): never {
  throw new CodecError('tlv', reason, offset)
}

function decodeTlv(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry, limits: TlvLimits): LwM2mNode {
  const level = pathLevel(path)
  if (level === 'root') fail('TLV cannot carry the root path /')
  const tlvs = readTlvs(payload, limits)
  const objectId = path.objectId as number
  switch (level) {
    case 'object': {
      if (tlvs.every((t) => t.type === 'objectInstance')) {
        const instances = uniqueMap(tlvs, 'object instance', (t) => toInstance(objectId, t.id, t.children ?? []))
        return { kind: 'object', id: objectId, instances } satisfies ObjectNode
      }
      if (models.getObject(objectId)?.multiple === true) {
        fail(`object ${objectId} has multiple instances: its resources need an object-instance TLV`, tlvs[0].offset)
      }
      const instance = toInstance(objectId, 0, tlvs)
      return { kind: 'object', id: objectId, instances: new Map([[0, instance]]) } satisfies ObjectNode
    }
    case 'instance': {
      const instanceId = path.instanceId as number
      let resources = tlvs
      if (tlvs.length === 1 && tlvs[0].type === 'objectInstance') {
        if (tlvs[0].id !== instanceId) {
          fail(`object instance TLV ${tlvs[0].id} does not match the path ${formatPath(path)}`, tlvs[0].offset)
        }
        resources = [...(tlvs[0].children ?? [])]
      }
      return toInstance(objectId, instanceId, resources)
    }
    case 'resource': {
      const resourceId = path.resourceId as number
      const model = models.getResource(objectId, resourceId)
      if (tlvs.length === 1 && (tlvs[0].type === 'resource' || tlvs[0].type === 'multipleResource')) {
        if (tlvs[0].id !== resourceId) {
          fail(`resource TLV ${tlvs[0].id} does not match the path ${formatPath(path)}`, tlvs[0].offset)
        }
        return toResource(objectId, tlvs[0], models)
      }
      // Bare resource instances: only meaningful for a resource the model says is multiple.
      if (model?.multiple && tlvs.every((t) => t.type === 'resourceInstance')) {
        return toMultiple(resourceId, model.type, tlvs)
      }
      return fail(
        tlvs.length === 0 ? `no TLV for the resource ${formatPath(path)}` : `expected one resource TLV for ${formatPath(path)}`,
        tlvs[1]?.offset ?? tlvs[0]?.offset ?? 0,
      )
    }
    case 'resourceInstance': {
      const t = tlvs[0]
      if (tlvs.length !== 1 || t.type !== 'resourceInstance') {
        fail(`expected one resource-instance TLV for ${formatPath(path)}`, tlvs[1]?.offset ?? t?.offset ?? 0)
      }
      if (t.id !== path.resourceInstanceId) {
        fail(`resource instance TLV ${t.id} does not match the path ${formatPath(path)}`, t.offset)
      }
      const model = models.getResource(objectId, path.resourceId as number)
      if (model && !model.multiple) fail(`${formatPath(path)} addresses an instance of a single resource`, t.offset)
      const type = model?.type ?? 'opaque'
      const value = decodeTlvValue(type, t.value, t.offset)
      return { kind: 'resourceInstance', id: t.id, type, value } satisfies ResourceInstanceNode
    }
  }

  function toInstance(oid: number, instanceId: number, resourceTlvs: readonly Tlv[]): ObjectInstanceNode {
    for (const t of resourceTlvs) {
      if (t.type !== 'resource' && t.type !== 'multipleResource') {
        fail(`a ${t.type} TLV cannot appear among the resources of an object instance`, t.offset)
      }
    }
    const resources = uniqueMap(resourceTlvs, 'resource', (t) => toResource(oid, t, models))
    return { kind: 'instance', id: instanceId, resources }
  }
}

function toResource(objectId: number, t: Tlv, models: ModelRegistry): ResourceNode {
  const model = models.getResource(objectId, t.id)
  const type = model?.type ?? 'opaque'
  if (t.type === 'resource') {
    if (model?.multiple) fail(`resource /${objectId}/x/${t.id} has multiple instances but came as a single value`, t.offset)
    return { kind: 'resource', id: t.id, type, value: decodeTlvValue(type, t.value, t.offset) }
  }
  if (model && !model.multiple) fail(`resource /${objectId}/x/${t.id} is single but came with instances`, t.offset)
  return toMultiple(t.id, type, t.children ?? [])
}

function toMultiple(id: number, type: MultipleResource['type'], instanceTlvs: readonly Tlv[]): MultipleResource {
  const instances = uniqueMap(instanceTlvs, 'resource instance', (t) => decodeTlvValue(type, t.value, t.offset))
  return { kind: 'multipleResource', id, type, instances }
}

/** Maps TLVs by id, refusing duplicates (a made-up choice between two values otherwise). */
function uniqueMap<V>(tlvs: readonly Tlv[], what: string, build: (t: Tlv) => V): Map<number, V> {
  const map = new Map<number, V>()
  for (const t of tlvs) {
    if (map.has(t.id)) fail(`duplicate ${what} ${t.id}`, t.offset)
    map.set(t.id, build(t))
  }
  return map
}

function encodeTlv(node: LwM2mNode, path: LwM2mPath): Uint8Array {
  const level = pathLevel(path)
  const mismatch = (): never => fail(`cannot encode a ${node.kind} node ${node.id} at ${formatPath(path)}`)
  switch (level) {
    case 'object':
      if (node.kind === 'object' && node.id === path.objectId) {
        return concatBytes([...node.instances.values()].map((i) => writeTlv('objectInstance', i.id, encodeResources(i))))
      }
      // Create (POST /o) carries one new instance, wrapped so its id travels.
      if (node.kind === 'instance') return writeTlv('objectInstance', node.id, encodeResources(node))
      return mismatch()
    case 'instance':
      return node.kind === 'instance' && node.id === path.instanceId ? encodeResources(node) : mismatch()
    case 'resource':
      return (node.kind === 'resource' || node.kind === 'multipleResource') && node.id === path.resourceId
        ? encodeResource(node)
        : mismatch()
    case 'resourceInstance':
      return node.kind === 'resourceInstance' && node.id === path.resourceInstanceId
        ? writeTlv('resourceInstance', node.id, encodeTlvValue(node.type, node.value))
        : mismatch()
    default:
      return fail('TLV cannot carry the root path /')
  }
}

function encodeResources(instance: ObjectInstanceNode): Uint8Array {
  return concatBytes([...instance.resources.values()].map(encodeResource))
}

function encodeResource(r: ResourceNode): Uint8Array {
  if (r.kind === 'resource') return writeTlv('resource', r.id, encodeTlvValue(r.type, r.value))
  const items = [...r.instances.entries()].map(([id, v]: [number, ResourceValue]) =>
    writeTlv('resourceInstance', id, encodeTlvValue(r.type, v)),
  )
  return writeTlv('multipleResource', r.id, concatBytes(items))
}
