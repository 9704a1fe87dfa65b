/**
 * Write-Attributes values per path, and the attributes in force at a path: resource-level ones
 * override instance-level ones, which override object-level ones (LwM2M TS Core §5.1.2).
 */
import type { NotificationAttributes, WritableAttribute } from '../lwm2m/link.js'
import { formatPath, pathIds, toPath, type LwM2mPath } from '../lwm2m/path.js'

/** Attributes in force: a number each, absent when unset. */
export type EffectiveAttributes = Partial<Record<WritableAttribute, number>>

/** Attributes kept per path. */
export interface AttributeStore {
  /** Applies a Write-Attributes (null removes an attribute). */
  write(path: LwM2mPath, attributes: NotificationAttributes): void
  /** Attributes written on exactly this path. */
  at(path: LwM2mPath): NotificationAttributes | undefined
  /** Attributes in force at this path (inherited from the object and instance). */
  effective(path: LwM2mPath): EffectiveAttributes
  /** Forgets the attributes of a path and below (instance deleted). */
  removeBelow(path: LwM2mPath): void
}

/** Creates an empty store (the map is created on first write). */
export function createAttributeStore(): AttributeStore {
  let byPath: Map<string, Partial<Record<WritableAttribute, number>>> | undefined
  return {
    write(path, attributes) {
      const key = formatPath(path)
      byPath ??= new Map()
      const current = { ...byPath.get(key) }
      for (const [name, value] of Object.entries(attributes) as Array<[WritableAttribute, number | null | undefined]>) {
        if (value === null) delete current[name]
        else if (value !== undefined) current[name] = value
      }
      if (Object.keys(current).length === 0) byPath.delete(key)
      else byPath.set(key, current)
    },
    at: (path) => byPath?.get(formatPath(path)),
    effective(path) {
      const out: Partial<Record<WritableAttribute, number>> = {}
      if (!byPath) return out
      const ids = pathIds(path)
      for (let depth = 1; depth <= ids.length; depth++) Object.assign(out, byPath.get(formatPath(toPath(ids.slice(0, depth)))))
      return out
    },
    removeBelow(path) {
      if (!byPath) return
      const prefix = formatPath(path)
      for (const key of [...byPath.keys()]) if (key === prefix || key.startsWith(prefix + '/')) byPath.delete(key)
    },
  }
}
