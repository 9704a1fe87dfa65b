/** What the device says when it registers (LwM2M TS Transport §6.2.1): query and object links. */
import { ContentFormat } from '../lwm2m/content-format.js'
import { formatRegistrationLinks, type RegisteredObject } from '../lwm2m/link.js'
import type { ObjectTree } from './object-tree.js'
import { OBJECT_VERSIONS } from './serve.js'

/**
 * The Register/Update payload: for 1.1 `</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,…`, for 1.0
 * the bare instances. The Security object is never announced.
 */
export function registrationLinks(tree: ObjectTree, version: '1.0' | '1.1'): string {
  const objects: RegisteredObject[] = []
  const versions = OBJECT_VERSIONS[version]
  for (const objectId of tree.objectIds()) {
    if (objectId === 0) continue
    const ver = versions[objectId]
    if (ver) objects.push({ objectId, version: ver })
    for (const instanceId of tree.instanceIds(objectId)) objects.push({ objectId, instanceId })
  }
  return version === '1.0'
    ? formatRegistrationLinks({ objects })
    : formatRegistrationLinks({ rootPath: '/', contentFormats: [ContentFormat.SENML_JSON], objects })
}

/** The Register query: `ep`, `lt`, `lwm2m`, `b`. */
export function registerQuery(endpoint: string, lifetime: number, version: '1.0' | '1.1' | '1.2', binding = 'U'): string[] {
  return [`ep=${endpoint}`, `lt=${lifetime}`, `lwm2m=${version}`, `b=${binding}`]
}
