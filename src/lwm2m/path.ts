import { InvalidPathError } from './errors.js'

/** Largest object, instance or resource id; 65535 is reserved (LwM2M 1.1 §7.1). */
export const MAX_ID = 65534

/**
 * An LwM2M path: `/`, `/o`, `/o/i`, `/o/i/r` or `/o/i/r/ri`. Deeper fields are only present when
 * the shallower ones are.
 */
export interface LwM2mPath {
  readonly objectId?: number
  readonly instanceId?: number
  readonly resourceId?: number
  readonly resourceInstanceId?: number
}

export type PathLevel = 'root' | 'object' | 'instance' | 'resource' | 'resourceInstance'

/** Parses `/3/0/1` (leading slash optional, trailing slash tolerated). Throws InvalidPathError. */
export function parsePath(text: string): LwM2mPath {
  const trimmed = text.trim().replace(/^\/+/, '').replace(/\/+$/, '')
  if (trimmed === '') return {}
  const parts = trimmed.split('/')
  if (parts.length > 4) throw new InvalidPathError(text, 'more than 4 levels')
  const ids = parts.map((part) => {
    if (!/^\d{1,5}$/.test(part)) throw new InvalidPathError(text, `"${part}" is not a number`)
    const id = Number(part)
    if (id > MAX_ID) throw new InvalidPathError(text, `${id} is larger than ${MAX_ID}`)
    return id
  })
  return toPath(ids)
}

/** Builds a path from up to four ids. */
export function toPath(ids: readonly number[]): LwM2mPath {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids
  return {
    ...(objectId !== undefined && { objectId }),
    ...(instanceId !== undefined && { instanceId }),
    ...(resourceId !== undefined && { resourceId }),
    ...(resourceInstanceId !== undefined && { resourceInstanceId }),
  }
}

/** The ids of a path, shallowest first. */
export function pathIds(path: LwM2mPath): number[] {
  const ids: number[] = []
  for (const id of [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId]) {
    if (id === undefined) break
    ids.push(id)
  }
  return ids
}

/** `/3/0/1` form. The root path formats as `/`. */
export function formatPath(path: LwM2mPath): string {
  return '/' + pathIds(path).join('/')
}

/** How deep a path goes. */
export function pathLevel(path: LwM2mPath): PathLevel {
  const levels: PathLevel[] = ['root', 'object', 'instance', 'resource', 'resourceInstance']
  return levels[pathIds(path).length]
}

/** Whether `child` equals `parent` or lies below it. */
export function isPathWithin(child: LwM2mPath, parent: LwM2mPath): boolean {
  const c = pathIds(child)
  const p = pathIds(parent)
  return p.length <= c.length && p.every((id, i) => c[i] === id)
}
