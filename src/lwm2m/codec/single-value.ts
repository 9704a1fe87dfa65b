import { CodecError } from '../errors.js'
import { formatPath, pathLevel, type LwM2mPath } from '../path.js'
import type { LwM2mNode, ResourceType, ResourceValue } from '../node.js'
import type { ModelRegistry } from '../model.js'

/**
 * What the plain-text and opaque formats share: they carry exactly one value, of a single
 * resource (/o/i/r) or of a resource instance (/o/i/r/ri), never a structure.
 */

/** Whether the path addresses one resource or one resource instance. */
export function isSingleValuePath(path: LwM2mPath): boolean {
  const level = pathLevel(path)
  return level === 'resource' || level === 'resourceInstance'
}

/**
 * The type of the value at `path` from the model (`fallback` when there is none). Throws when the
 * path is not a single value, or is a whole multiple resource.
 */
export function singleValueType(
  format: string,
  path: LwM2mPath,
  models: ModelRegistry,
  fallback: ResourceType,
): ResourceType {
  if (!isSingleValuePath(path)) {
    throw new CodecError(format, `${format} carries one resource value, not ${formatPath(path)}`)
  }
  const model = models.getResource(path.objectId as number, path.resourceId as number)
  if (model?.multiple && path.resourceInstanceId === undefined) {
    throw new CodecError(format, `${formatPath(path)} has multiple instances: ${format} carries only one value`)
  }
  if (model && !model.multiple && path.resourceInstanceId !== undefined) {
    throw new CodecError(format, `${formatPath(path)} addresses an instance of a single resource`)
  }
  return model?.type ?? fallback
}

/** Wraps one decoded value in the node the path calls for. */
export function singleValueNode(path: LwM2mPath, type: ResourceType, value: ResourceValue): LwM2mNode {
  return path.resourceInstanceId === undefined
    ? { kind: 'resource', id: path.resourceId as number, type, value }
    : { kind: 'resourceInstance', id: path.resourceInstanceId, type, value }
}

/** The type and value of a single-value node at `path`; CodecError for anything else. */
export function singleValueOf(format: string, node: LwM2mNode, path: LwM2mPath): { type: ResourceType; value: ResourceValue } {
  const ok =
    (node.kind === 'resource' && path.resourceInstanceId === undefined && node.id === path.resourceId) ||
    (node.kind === 'resourceInstance' && node.id === path.resourceInstanceId)
  if (!ok || !isSingleValuePath(path)) {
    throw new CodecError(format, `${format} cannot carry a ${node.kind} node ${node.id} at ${formatPath(path)}`)
  }
  const { type, value } = node as { type: ResourceType; value: ResourceValue }
  return { type, value }
}
