import type { ResourceType } from './node.js'

/** Operations a resource allows, as in OMA DDF `<Operations>`. */
export type ResourceOperations = 'R' | 'W' | 'RW' | 'E' | 'NONE'

/** One resource of an object model (OMA DDF `<Item>`). */
export interface ResourceModel {
  readonly id: number
  readonly name: string
  readonly operations: ResourceOperations
  readonly multiple: boolean
  readonly mandatory: boolean
  readonly type: ResourceType
  readonly rangeEnumeration?: string
  readonly units?: string
  readonly description?: string
}

/** An object model (OMA DDF `<Object>`). */
export interface ObjectModel {
  readonly id: number
  readonly name: string
  /** Object version, "1.0" when the DDF omits it. */
  readonly version: string
  readonly lwm2mVersion?: string
  readonly multiple: boolean
  readonly mandatory: boolean
  readonly urn?: string
  readonly description?: string
  readonly resources: ReadonlyMap<number, ResourceModel>
}

/** Looks up object and resource models; codecs take one to know resource types. */
export interface ModelRegistry {
  getObject(objectId: number): ObjectModel | undefined
  getResource(objectId: number, resourceId: number): ResourceModel | undefined
  objects(): Iterable<ObjectModel>
  /** The model of one object version ("1.1"), when the registry holds it (registries may keep several). */
  getObjectVersion?(objectId: number, version: string): ObjectModel | undefined
}
