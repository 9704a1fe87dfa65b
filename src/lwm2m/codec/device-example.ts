import type { ObjectInstanceNode, ResourceNode } from '../node.js'

/**
 * Instance 0 of the Device object as the LwM2M specification's worked examples read it (TS 1.0
 * §6.4.3.1 TLV, §6.4.4 JSON); used as the expected node by codec tests and the benchmark.
 */
export function deviceInstance(): ObjectInstanceNode {
  const single = (id: number, type: 'string' | 'integer' | 'time', value: string | number | Date): ResourceNode => ({
    kind: 'resource', id, type, value,
  })
  const multi = (id: number, values: number[]): ResourceNode => ({
    kind: 'multipleResource', id, type: 'integer', instances: new Map(values.map((v, i) => [i, v])),
  })
  const resources: ResourceNode[] = [
    single(0, 'string', 'Open Mobile Alliance'),
    single(1, 'string', 'Lightweight M2M Client'),
    single(2, 'string', '345000123'),
    single(3, 'string', '1.0'),
    multi(6, [1, 5]),
    multi(7, [3800, 5000]),
    multi(8, [125, 900]),
    single(9, 'integer', 100),
    single(10, 'integer', 15),
    multi(11, [0]),
    single(13, 'time', new Date(1367491215000)),
    single(14, 'string', '+02:00'),
    single(16, 'string', 'U'),
  ]
  return { kind: 'instance', id: 0, resources: new Map(resources.map((r) => [r.id, r])) }
}
