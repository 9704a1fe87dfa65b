import { peerKey, type PeerAddress } from '../../transport/types.js'
import type { Registration } from './registration.js'

/**
 * Where the server keeps registrations (Leshan's RegistrationStore). Synchronous so the CoAP
 * handler answers without waiting; a persistent implementation would keep a write-behind copy.
 */
export interface RegistrationStore {
  /** Adds a registration; returns the one of the same endpoint it replaced, if any. */
  add(reg: Registration): Registration | undefined
  /** Replaces the registration with the same id; returns the previous value (undefined if unknown). */
  update(reg: Registration): Registration | undefined
  /** Removes by id; returns what was removed. */
  remove(id: string): Registration | undefined
  byEndpoint(endpoint: string): Registration | undefined
  byId(id: string): Registration | undefined
  /** The registration whose session is at this address (Send and queue wake-ups name no endpoint). */
  byPeer(peer: PeerAddress): Registration | undefined
  all(): Registration[]
  /** Registrations whose expiresAt is at or before `now` (epoch ms). */
  expired(now: number): Registration[]
  readonly size: number
}

/** Creates a RegistrationStore in memory, indexed by id and by endpoint. */
export function createInMemoryRegistrationStore(): RegistrationStore {
  const byId = new Map<string, Registration>()
  const idOfEndpoint = new Map<string, string>()
  const idOfPeer = new Map<string, string>()
  const unindexPeer = (reg: Registration): void => {
    if (idOfPeer.get(peerKey(reg.peer)) === reg.id) idOfPeer.delete(peerKey(reg.peer))
  }
  return {
    add(reg) {
      const oldId = idOfEndpoint.get(reg.endpoint)
      const previous = oldId === undefined ? undefined : byId.get(oldId)
      if (previous) {
        byId.delete(previous.id)
        unindexPeer(previous)
      }
      byId.set(reg.id, reg)
      idOfEndpoint.set(reg.endpoint, reg.id)
      idOfPeer.set(peerKey(reg.peer), reg.id)
      return previous
    },
    update(reg) {
      const previous = byId.get(reg.id)
      if (!previous) return undefined
      byId.set(reg.id, reg)
      idOfEndpoint.set(reg.endpoint, reg.id)
      unindexPeer(previous)
      idOfPeer.set(peerKey(reg.peer), reg.id)
      return previous
    },
    remove(id) {
      const reg = byId.get(id)
      if (!reg) return undefined
      byId.delete(id)
      if (idOfEndpoint.get(reg.endpoint) === id) idOfEndpoint.delete(reg.endpoint)
      unindexPeer(reg)
      return reg
    },
    byPeer(peer) {
      const id = idOfPeer.get(peerKey(peer))
      return id === undefined ? undefined : byId.get(id)
    },
    byEndpoint(endpoint) {
      const id = idOfEndpoint.get(endpoint)
      return id === undefined ? undefined : byId.get(id)
    },
    byId: (id) => byId.get(id),
    all: () => [...byId.values()],
    expired: (now) => [...byId.values()].filter((r) => r.expiresAt <= now),
    get size() {
      return byId.size
    },
  }
}
