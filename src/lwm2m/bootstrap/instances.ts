import type { ObjectInstanceNode, ResourceNode, ResourceType, ResourceValue } from '../node.js'
import type { ClientSecurity } from '../security-store.js'
import type { BootstrapConfig } from './config.js'

/** Security Mode resource values (/0/x/2). */
export const SecurityMode = { PSK: 0, RPK: 1, CERTIFICATE: 2, NO_SEC: 3, EST: 4 } as const

const encoder = new TextEncoder()

/**
 * The LwM2M server account's Security instance (object 0) for a device: the server URI of its
 * record, Bootstrap-Server false, PSK mode, the server-side identity (as opaque bytes, which is
 * what the client hands to its DTLS stack) and key, and the Short Server ID.
 */
export function securityInstance(client: ClientSecurity, key: Uint8Array, instanceId: number, config: BootstrapConfig): ObjectInstanceNode {
  return instance(instanceId, [
    res(0, 'string', client.server.uri),
    res(1, 'boolean', false),
    res(2, 'integer', SecurityMode.PSK),
    res(3, 'opaque', encoder.encode(client.server.identity)),
    res(5, 'opaque', key),
    res(10, 'integer', config.shortServerId),
  ])
}

/** The LwM2M server account's Server instance (object 1): Short Server ID, lifetime, storing, binding. */
export function serverInstance(instanceId: number, config: BootstrapConfig): ObjectInstanceNode {
  return instance(instanceId, [
    res(0, 'integer', config.shortServerId),
    res(1, 'integer', config.serverLifetime),
    res(6, 'boolean', config.notificationStoring),
    res(7, 'string', config.binding),
  ])
}

function res(id: number, type: ResourceType, value: ResourceValue): ResourceNode {
  return { kind: 'resource', id, type, value }
}

function instance(id: number, resources: ResourceNode[]): ObjectInstanceNode {
  return { kind: 'instance', id, resources: new Map(resources.map((r) => [r.id, r])) }
}
