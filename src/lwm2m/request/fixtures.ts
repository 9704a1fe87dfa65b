/** Nodes built by hand for the request-layer tests: a temperature sensor (3303) and the Device object. */
import type { ObjectInstanceNode, ResourceNode } from '../node.js'

/** Instance `id` of the Temperature object with a value, its unit and its Min/Max Measured Value. */
export function temperatureInstance(id = 0, value = 21.5): ObjectInstanceNode {
  const resources: ResourceNode[] = [
    { kind: 'resource', id: 5700, type: 'float', value },
    { kind: 'resource', id: 5701, type: 'string', value: 'Cel' },
  ]
  return { kind: 'instance', id, resources: new Map(resources.map((r) => [r.id, r])) }
}
