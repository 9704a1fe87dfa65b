import type { ModelRegistry, ObjectModel } from '../model.js'

/** An object a client registered, with the version it announced (`</3>;ver=1.2`). */
export interface AnnouncedObject {
  readonly objectId: number
  readonly version?: string
}

/**
 * The models to use with one client: for every object it announced with `ver=`, the model of that
 * version when the registry holds it, else the registry's default for that object (the newest we
 * ship). Objects announced without a version are LwM2M 1.0 objects ("1.0") by the same rule. When
 * nothing differs from the defaults, the registry itself is returned.
 */
export function modelsForObjects(registry: ModelRegistry, objects: readonly AnnouncedObject[]): ModelRegistry {
  if (!registry.getObjectVersion) return registry
  const chosen = new Map<number, ObjectModel>()
  for (const o of objects) {
    if (o.version === undefined || chosen.has(o.objectId)) continue
    const current = registry.getObject(o.objectId)
    const wanted = registry.getObjectVersion(o.objectId, o.version)
    if (wanted && wanted !== current) chosen.set(o.objectId, wanted)
  }
  if (chosen.size === 0) return registry
  const sorted = Object.freeze([...registry.objects()].map((m) => chosen.get(m.id) ?? m))
  return Object.freeze({
    getObject: (objectId: number) => chosen.get(objectId) ?? registry.getObject(objectId),
    getResource: (objectId: number, resourceId: number) => (chosen.get(objectId) ?? registry.getObject(objectId))?.resources.get(resourceId),
    objects: () => sorted,
    getObjectVersion: (objectId: number, version: string) => registry.getObjectVersion!(objectId, version),
  })
}
