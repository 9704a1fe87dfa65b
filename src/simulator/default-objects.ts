/**
 * The objects a simulated device starts with: the bootstrap server's Security instance (from
 * options), Device (/3/0) and one Temperature sensor (/3303/0). Server instances (/1) and the
 * LwM2M server's Security instance come from the bootstrap server — or from `server` options.
 */
import type { MultipleResource } from '../lwm2m/node.js'
import type { ObjectTree } from './object-tree.js'

/** Credentials of one server account as the device keeps them in /0. */
export interface ServerAccount {
  readonly uri: string
  readonly identity: string
  readonly key: Uint8Array
}

/** Security instance id of the bootstrap server account (written from options). */
export const BOOTSTRAP_SECURITY_INSTANCE = 0
/** Short server id the device uses when `server` credentials are given directly. */
export const DIRECT_SSID = 1

/** Writes a Security instance (mode 0 = PSK). `ssid` is absent for the bootstrap account. */
export function writeSecurityInstance(tree: ObjectTree, instanceId: number, account: ServerAccount, bootstrap: boolean, ssid?: number): void {
  tree.setValue(0, instanceId, 0, account.uri)
  tree.setValue(0, instanceId, 1, bootstrap)
  tree.setValue(0, instanceId, 2, 0)
  tree.setValue(0, instanceId, 3, new TextEncoder().encode(account.identity))
  tree.setValue(0, instanceId, 5, account.key)
  if (ssid !== undefined) tree.setValue(0, instanceId, 10, ssid)
}

/** Writes a Server instance (ssid, lifetime, storing, binding U). */
export function writeServerInstance(tree: ObjectTree, instanceId: number, ssid: number, lifetime: number): void {
  tree.setValue(1, instanceId, 0, ssid)
  tree.setValue(1, instanceId, 1, lifetime)
  tree.setValue(1, instanceId, 6, false)
  tree.setValue(1, instanceId, 7, 'U')
}

/** Device object /3/0: who this simulated device says it is. */
export function writeDeviceObject(tree: ObjectTree, endpoint: string, firmwareVersion: string): void {
  tree.setValue(3, 0, 0, 'lwchain')
  tree.setValue(3, 0, 1, 'simulated')
  tree.setValue(3, 0, 2, endpoint)
  tree.setValue(3, 0, 3, firmwareVersion)
  tree.setResource(3, 0, { kind: 'multipleResource', id: 6, type: 'integer', instances: new Map([[0, 1]]) } satisfies MultipleResource)
  tree.setValue(3, 0, 9, 100)
  tree.setValue(3, 0, 10, 64)
  tree.setResource(3, 0, { kind: 'multipleResource', id: 11, type: 'integer', instances: new Map([[0, 0]]) } satisfies MultipleResource)
  tree.setValue(3, 0, 13, new Date(0))
  tree.setValue(3, 0, 14, '+00:00')
  tree.setValue(3, 0, 16, 'U')
  tree.setValue(3, 0, 17, 'simulator')
  tree.setValue(3, 0, 18, 'sim-hw-1')
  tree.setValue(3, 0, 19, firmwareVersion)
  tree.setValue(3, 0, 20, 0)
  tree.setValue(3, 0, 21, 128)
  // Current time is the clock's, read when asked.
  tree.setDynamic(3, 13, () => new Date(Math.floor(Date.now() / 1000) * 1000))
}

/** A Temperature instance with its first reading as both min and max. */
export function writeTemperatureObject(tree: ObjectTree, instanceId: number, celsius: number): void {
  tree.setValue(3303, instanceId, 5700, celsius)
  tree.setValue(3303, instanceId, 5701, 'Cel')
  tree.setValue(3303, instanceId, 5603, -40)
  tree.setValue(3303, instanceId, 5604, 125)
  tree.setValue(3303, instanceId, 5601, celsius)
  tree.setValue(3303, instanceId, 5602, celsius)
}

/** Sets a Temperature reading and keeps min/max measured in step. */
export function setTemperature(tree: ObjectTree, instanceId: number, celsius: number): void {
  const min = tree.value(3303, instanceId, 5601)
  const max = tree.value(3303, instanceId, 5602)
  if (typeof min !== 'number' || celsius < min) tree.setValue(3303, instanceId, 5601, celsius)
  if (typeof max !== 'number' || celsius > max) tree.setValue(3303, instanceId, 5602, celsius)
  tree.setValue(3303, instanceId, 5700, celsius)
}

/** Reads the server accounts the bootstrap server wrote: non-bootstrap Security + Server pairs. */
export function serverAccounts(tree: ObjectTree): Array<ServerAccount & { ssid: number; securityInstance: number; serverInstance: number; lifetime?: number; binding?: string }> {
  const out = []
  for (const sec of tree.instanceIds(0)) {
    if (tree.value(0, sec, 1) === true) continue
    const uri = tree.value(0, sec, 0)
    const identity = tree.value(0, sec, 3)
    const key = tree.value(0, sec, 5)
    const ssid = tree.value(0, sec, 10)
    if (typeof uri !== 'string' || !(identity instanceof Uint8Array) || !(key instanceof Uint8Array) || typeof ssid !== 'number') continue
    const srv = tree.instanceIds(1).find((i) => tree.value(1, i, 0) === ssid)
    if (srv === undefined) continue
    const lifetime = tree.value(1, srv, 1)
    const binding = tree.value(1, srv, 7)
    out.push({
      uri,
      identity: new TextDecoder().decode(identity),
      key,
      ssid,
      securityInstance: sec,
      serverInstance: srv,
      ...(typeof lifetime === 'number' && { lifetime }),
      ...(typeof binding === 'string' && { binding }),
    })
  }
  return out
}

/** The bootstrap server account kept in /0 (Bootstrap-Server true), if complete. */
export function bootstrapAccount(tree: ObjectTree): ServerAccount | undefined {
  for (const i of tree.instanceIds(0)) {
    if (tree.value(0, i, 1) !== true) continue
    const uri = tree.value(0, i, 0)
    const identity = tree.value(0, i, 3)
    const key = tree.value(0, i, 5)
    if (typeof uri === 'string' && identity instanceof Uint8Array && key instanceof Uint8Array) {
      return { uri, identity: new TextDecoder().decode(identity), key }
    }
  }
  return undefined
}
