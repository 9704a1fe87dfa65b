/**
 * The LwM2M node tree (object → instance → resource → resource instance), independent of any
 * content format. Codecs turn bytes into these nodes and back.
 */

/** Resource data types of the LwM2M object model (OMA DDF `<Type>` values, lower-cased). */
export type ResourceType =
  | 'string'
  | 'integer'
  | 'unsigned'
  | 'float'
  | 'boolean'
  | 'opaque'
  | 'time'
  | 'objlnk'
  | 'corelnk'
  | 'none'

/** An Objlnk value: a reference to an object instance (`3:0`). */
export interface ObjectLink {
  readonly objectId: number
  readonly instanceId: number
}

/**
 * The JavaScript value of each resource type:
 * - string, corelnk: string
 * - integer, unsigned: number, or bigint when outside Number's safe range
 * - float: number
 * - boolean: boolean
 * - opaque: Uint8Array
 * - time: Date (whole seconds on the wire)
 * - objlnk: ObjectLink
 * - none: null (executable resources carry no value)
 */
export type ResourceValue = string | number | bigint | boolean | Uint8Array | Date | ObjectLink | null

export interface SingleResource {
  readonly kind: 'resource'
  readonly id: number
  readonly type: ResourceType
  readonly value: ResourceValue
}

export interface MultipleResource {
  readonly kind: 'multipleResource'
  readonly id: number
  readonly type: ResourceType
  /** Resource instances by id, in the order they were read or written. */
  readonly instances: ReadonlyMap<number, ResourceValue>
}

export type ResourceNode = SingleResource | MultipleResource

export interface ResourceInstanceNode {
  readonly kind: 'resourceInstance'
  readonly id: number
  readonly type: ResourceType
  readonly value: ResourceValue
}

export interface ObjectInstanceNode {
  readonly kind: 'instance'
  readonly id: number
  readonly resources: ReadonlyMap<number, ResourceNode>
}

export interface ObjectNode {
  readonly kind: 'object'
  readonly id: number
  readonly instances: ReadonlyMap<number, ObjectInstanceNode>
}

export type LwM2mNode = ObjectNode | ObjectInstanceNode | ResourceNode | ResourceInstanceNode
