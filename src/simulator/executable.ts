/** What executing a resource does on the simulated device (LwM2M Execute). */
import type { LwM2mPath } from '../lwm2m/path.js'
import { bootstrapAccount } from './default-objects.js'
import type { ObjectTree } from './object-tree.js'

/** Lifecycle actions an Execute can start; each runs after the 2.04 has gone out. */
export interface ExecuteActions {
  /** /1/x/8 Registration Update Trigger. */
  update(): void
  /** /1/x/9 Bootstrap-Request Trigger. */
  bootstrap(): void
  /** /3/0/4 Reboot. */
  reboot(): void
}

/** Executes an executable resource; returns the CoAP code. Unknown ones succeed and do nothing. */
export function executeResource(tree: ObjectTree, path: LwM2mPath, actions: ExecuteActions): string {
  const { objectId, instanceId, resourceId } = path
  const later = (fn: () => void): string => {
    // Answer first: the action may close the very session the answer travels on.
    setImmediate(fn)
    return '2.04'
  }
  if (objectId === 1 && resourceId === 8) return later(actions.update)
  if (objectId === 1 && resourceId === 9) return bootstrapAccount(tree) ? later(actions.bootstrap) : '4.05'
  if (objectId === 3 && resourceId === 4) return later(actions.reboot)
  if (objectId === 3 && resourceId === 12) {
    tree.setResource(3, 0, { kind: 'multipleResource', id: 11, type: 'integer', instances: new Map([[0, 0]]) })
    return '2.04'
  }
  if (objectId === 3303 && resourceId === 5605) {
    const v = tree.value(3303, instanceId as number, 5700)
    if (typeof v === 'number') {
      tree.setValue(3303, instanceId as number, 5601, v)
      tree.setValue(3303, instanceId as number, 5602, v)
    }
  }
  return '2.04'
}
