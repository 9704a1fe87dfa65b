/**
 * The device's objects: object → instance → resource, kept as LwM2M nodes so that reads are the
 * codecs' input as is. Access rights (model operations) apply to Device Management requests only;
 * the bootstrap server writes anything.
 */
import type { ModelRegistry } from '../lwm2m/model.js'
import type {
  LwM2mNode,
  MultipleResource,
  ObjectInstanceNode,
  ObjectNode,
  ResourceNode,
  ResourceValue,
} from '../lwm2m/node.js'
import { pathLevel, type LwM2mPath } from '../lwm2m/path.js'

/** A CoAP response code as the device answers it ("2.05", "4.04"...). */
export type CoapCode = string

/** A read's outcome: the node at the path, or a CoAP error code. */
export type ReadResult = { readonly node: LwM2mNode } | { readonly code: CoapCode }

type Instance = Map<number, ResourceNode>

/** Who asks: the bootstrap server ignores access rights, a DM server does not. */
export type Requester = 'bootstrap' | 'server'

/** A value computed at read time (current time, a sensor). */
export type DynamicValue = () => ResourceValue

/** The mutable object tree of one device. */
export interface ObjectTree {
  readonly models: ModelRegistry
  objectIds(): number[]
  instanceIds(objectId: number): number[]
  hasInstance(objectId: number, instanceId: number): boolean
  /** The value of a single resource, undefined when absent. */
  value(objectId: number, instanceId: number, resourceId: number): ResourceValue | undefined
  /** Sets one single-resource value (device-side change); notifies change listeners. */
  setValue(objectId: number, instanceId: number, resourceId: number, value: ResourceValue): void
  /** Sets a whole resource node (device-side). */
  setResource(objectId: number, instanceId: number, resource: ResourceNode): void
  /** Computes a resource on every read. */
  setDynamic(objectId: number, resourceId: number, fn: DynamicValue): void
  read(path: LwM2mPath, by: Requester): ReadResult
  /** Write replace/update (DM) or Bootstrap-Write; returns the CoAP code. */
  write(path: LwM2mPath, node: LwM2mNode, mode: 'replace' | 'update' | 'bootstrap'): CoapCode
  /** Creates instances under /o; returns the code and the ids created. */
  create(objectId: number, node: LwM2mNode): { code: CoapCode; instanceIds: number[] }
  /** Deletes /o/i (DM) — or, for the bootstrap server, /o or /o/i. */
  delete(path: LwM2mPath): CoapCode
  /** Removes an instance whatever the rules (device-side housekeeping). */
  removeInstance(objectId: number, instanceId: number): void
  /** Listener for every change, with the path of what changed. */
  onChange(listener: (path: LwM2mPath) => void): void
}

/** Creates an empty tree over `models`. */
export function createObjectTree(models: ModelRegistry): ObjectTree {
  const objects = new Map<number, Map<number, Instance>>()
  const dynamic = new Map<number, DynamicValue>() // key objectId * 65536 + resourceId
  const listeners: Array<(path: LwM2mPath) => void> = []
  const changed = (path: LwM2mPath): void => {
    for (const l of listeners) l(path)
  }

  const readable = (objectId: number, resourceId: number, by: Requester): boolean => {
    if (by === 'bootstrap') return true
    const ops = models.getResource(objectId, resourceId)?.operations
    return ops === undefined || ops === 'R' || ops === 'RW'
  }
  const writable = (objectId: number, resourceId: number): boolean => {
    const ops = models.getResource(objectId, resourceId)?.operations
    return ops === undefined || ops === 'W' || ops === 'RW'
  }
  const resourceOf = (objectId: number, instance: Instance, id: number): ResourceNode | undefined => {
    const fn = dynamic.get(objectId * 65536 + id)
    const r = instance.get(id)
    if (!fn || !r || r.kind !== 'resource') return r
    return { ...r, value: fn() }
  }
  const instanceNode = (objectId: number, id: number, instance: Instance, by: Requester): ObjectInstanceNode => {
    const resources = new Map<number, ResourceNode>()
    for (const rid of instance.keys()) {
      if (readable(objectId, rid, by)) resources.set(rid, resourceOf(objectId, instance, rid) as ResourceNode)
    }
    return { kind: 'instance', id, resources }
  }
  const ensureInstance = (objectId: number, instanceId: number): Instance => {
    let object = objects.get(objectId)
    if (!object) objects.set(objectId, (object = new Map()))
    let instance = object.get(instanceId)
    if (!instance) object.set(instanceId, (instance = new Map()))
    return instance
  }
  /** Merges `resources` into an instance; checks writability first for DM writes (all or nothing). */
  const writeResources = (
    objectId: number,
    instance: Instance,
    resources: Iterable<ResourceNode>,
    mode: 'replace' | 'update' | 'bootstrap',
  ): CoapCode => {
    const list = [...resources]
    if (mode !== 'bootstrap') {
      // A resource the object's model does not define does not exist on this device.
      if (models.getObject(objectId) && list.some((r) => !models.getResource(objectId, r.id))) return '4.04'
      if (list.some((r) => !writable(objectId, r.id))) return '4.05'
    }
    for (const r of list) {
      const old = instance.get(r.id)
      if (mode === 'update' && old?.kind === 'multipleResource' && r.kind === 'multipleResource') {
        instance.set(r.id, { ...r, instances: new Map([...old.instances, ...r.instances]) })
      } else instance.set(r.id, r)
    }
    return '2.04'
  }

  const tree: ObjectTree = {
    models,
    objectIds: () => [...objects.keys()].filter((id) => (objects.get(id)?.size ?? 0) > 0).sort((a, b) => a - b),
    instanceIds: (objectId) => [...(objects.get(objectId)?.keys() ?? [])].sort((a, b) => a - b),
    hasInstance: (objectId, instanceId) => objects.get(objectId)?.has(instanceId) ?? false,
    value(objectId, instanceId, resourceId) {
      const instance = objects.get(objectId)?.get(instanceId)
      const r = instance && resourceOf(objectId, instance, resourceId)
      return r?.kind === 'resource' ? r.value : undefined
    },
    setValue(objectId, instanceId, resourceId, value) {
      const type = models.getResource(objectId, resourceId)?.type ?? 'opaque'
      ensureInstance(objectId, instanceId).set(resourceId, { kind: 'resource', id: resourceId, type, value })
      changed({ objectId, instanceId, resourceId })
    },
    setResource(objectId, instanceId, resource) {
      ensureInstance(objectId, instanceId).set(resource.id, resource)
      changed({ objectId, instanceId, resourceId: resource.id })
    },
    setDynamic(objectId, resourceId, fn) {
      dynamic.set(objectId * 65536 + resourceId, fn)
    },
    read(path, by) {
      const { objectId, instanceId, resourceId, resourceInstanceId } = path
      if (objectId === undefined) return { code: '4.05' }
      const object = objects.get(objectId)
      if (!object || (object.size === 0 && !models.getObject(objectId))) return { code: '4.04' }
      if (instanceId === undefined) {
        const instances = new Map<number, ObjectInstanceNode>()
        for (const [id, inst] of object) instances.set(id, instanceNode(objectId, id, inst, by))
        return { node: { kind: 'object', id: objectId, instances } satisfies ObjectNode }
      }
      const instance = object.get(instanceId)
      if (!instance) return { code: '4.04' }
      if (resourceId === undefined) return { node: instanceNode(objectId, instanceId, instance, by) }
      const model = models.getResource(objectId, resourceId)
      if (by === 'server' && model && !readable(objectId, resourceId, by)) return { code: '4.05' }
      const resource = resourceOf(objectId, instance, resourceId)
      if (!resource) return { code: '4.04' }
      if (resourceInstanceId === undefined) return { node: resource }
      if (resource.kind !== 'multipleResource') return { code: '4.04' }
      const value = resource.instances.get(resourceInstanceId)
      if (value === undefined) return { code: '4.04' }
      return { node: { kind: 'resourceInstance', id: resourceInstanceId, type: resource.type, value } }
    },
    write(path, node, mode) {
      const level = pathLevel(path)
      const { objectId, instanceId, resourceId, resourceInstanceId } = path
      if (objectId === undefined) return '4.00'
      if (level === 'object') {
        if (mode !== 'bootstrap' || node.kind !== 'object') return mode === 'bootstrap' ? '4.00' : '4.05'
        for (const inst of node.instances.values()) writeResources(objectId, ensureInstance(objectId, inst.id), inst.resources.values(), mode)
        changed(path)
        return '2.04'
      }
      const exists = objects.get(objectId)?.get(instanceId as number)
      if (!exists && mode !== 'bootstrap') return '4.04'
      if (level === 'instance') {
        let resources: Iterable<ResourceNode>
        if (node.kind === 'instance' && node.id === instanceId) resources = node.resources.values()
        else if (node.kind === 'object' && node.instances.size === 1 && node.instances.has(instanceId as number)) {
          resources = (node.instances.get(instanceId as number) as ObjectInstanceNode).resources.values()
        } else return '4.00'
        const instance = exists ?? ensureInstance(objectId, instanceId as number)
        if (mode === 'replace') {
          const list = [...resources]
          if (list.some((r) => !writable(objectId, r.id))) return '4.05'
          // Replace: writable resources the payload leaves out are removed.
          for (const rid of [...instance.keys()]) if (writable(objectId, rid) && !list.some((r) => r.id === rid)) instance.delete(rid)
          resources = list
        }
        const code = writeResources(objectId, instance, resources, mode)
        if (code === '2.04') changed(path)
        return code
      }
      const instance = exists ?? ensureInstance(objectId, instanceId as number)
      if (mode !== 'bootstrap' && models.getObject(objectId) && !models.getResource(objectId, resourceId as number)) return '4.04'
      if (mode !== 'bootstrap' && !writable(objectId, resourceId as number)) return '4.05'
      if (level === 'resource') {
        if ((node.kind !== 'resource' && node.kind !== 'multipleResource') || node.id !== resourceId) return '4.00'
        writeResources(objectId, instance, [node], mode === 'update' ? 'update' : 'bootstrap')
      } else {
        if (node.kind !== 'resourceInstance' || node.id !== resourceInstanceId) return '4.00'
        const old = instance.get(resourceId as number)
        if (old && old.kind !== 'multipleResource') return '4.00'
        const instances = new Map(old?.instances ?? [])
        instances.set(node.id, node.value)
        instance.set(resourceId as number, { kind: 'multipleResource', id: resourceId as number, type: node.type, instances } satisfies MultipleResource)
      }
      changed(path)
      return '2.04'
    },
    create(objectId, node) {
      const model = models.getObject(objectId)
      if (!model) return { code: '4.04', instanceIds: [] }
      const object = objects.get(objectId)
      if (!model.multiple && (object?.size ?? 0) > 0) return { code: '4.05', instanceIds: [] }
      let instances: ObjectInstanceNode[]
      if (node.kind === 'instance') instances = [node]
      else if (node.kind === 'object') instances = [...node.instances.values()]
      else return { code: '4.00', instanceIds: [] }
      if (instances.length === 0) return { code: '4.00', instanceIds: [] }
      if (instances.some((i) => object?.has(i.id))) return { code: '4.00', instanceIds: [] }
      for (const i of instances) {
        const instance = ensureInstance(objectId, i.id)
        writeResources(objectId, instance, i.resources.values(), 'bootstrap')
      }
      changed({ objectId })
      return { code: '2.01', instanceIds: instances.map((i) => i.id) }
    },
    delete(path) {
      const { objectId, instanceId } = path
      if (objectId === undefined || path.resourceId !== undefined) return '4.05'
      const object = objects.get(objectId)
      if (instanceId === undefined) {
        object?.clear()
        changed(path)
        return '2.02'
      }
      if (!object?.delete(instanceId)) return '4.04'
      changed(path)
      return '2.02'
    },
    removeInstance(objectId, instanceId) {
      objects.get(objectId)?.delete(instanceId)
    },
    onChange(listener) {
      listeners.push(listener)
    },
  }
  return tree
}
