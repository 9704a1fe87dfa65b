/**
 * Where the daemons learn which devices exist and with which credentials (Leshan's
 * SecurityStore). The chain-backed implementation reads the event-synced ChainView; the in-memory
 * one backs `--store memory` and tests. Lookups are synchronous: a DTLS handshake never waits for
 * I/O to find a key.
 */

/** One side (bootstrap or LwM2M server) of a device's credentials. */
export interface SecurityInfoSide {
  readonly uri: string
  readonly identity: string
  /** The PSK; absent when the store cannot open sealed keys. */
  readonly key?: Uint8Array
}

/** A device's credentials as both daemons need them. */
export interface ClientSecurity {
  readonly endpoint: string
  /** Increases on every change; lets a daemon tell a moved device from an unchanged one. */
  readonly version: number
  readonly bootstrap: SecurityInfoSide
  readonly server: SecurityInfoSide
}

export type SecurityRole = 'bootstrap' | 'server'

/** What changed, for revocation (removed) and mobility (updated with another server URI). */
export type SecurityChange =
  | { readonly kind: 'added'; readonly client: ClientSecurity }
  | { readonly kind: 'updated'; readonly client: ClientSecurity; readonly previous?: ClientSecurity }
  | { readonly kind: 'removed'; readonly previous: ClientSecurity }

export interface SecurityStore {
  byEndpoint(endpoint: string): ClientSecurity | undefined
  /** The client whose `role` identity is `identity`, with that side's key. */
  byIdentity(identity: string, role: SecurityRole): { client: ClientSecurity; key: Uint8Array } | undefined
  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: (change: SecurityChange) => void): () => void
}

/** An in-memory SecurityStore (for `--store memory`, tests and benchmarks). */
export interface InMemorySecurityStore extends SecurityStore {
  put(client: Omit<ClientSecurity, 'version'> & { version?: number }): ClientSecurity
  remove(endpoint: string): boolean
  all(): ClientSecurity[]
}

/** Creates an in-memory SecurityStore, indexed by endpoint and by each role's identity. */
export function createInMemorySecurityStore(initial: Iterable<ClientSecurity> = []): InMemorySecurityStore {
  const clients = new Map<string, ClientSecurity>()
  const byRole: Record<SecurityRole, Map<string, string>> = { bootstrap: new Map(), server: new Map() }
  const listeners = new Set<(change: SecurityChange) => void>()
  const emit = (change: SecurityChange): void => listeners.forEach((l) => l(change))

  const index = (client: ClientSecurity): void => {
    clients.set(client.endpoint, client)
    byRole.bootstrap.set(client.bootstrap.identity, client.endpoint)
    byRole.server.set(client.server.identity, client.endpoint)
  }
  const unindex = (client: ClientSecurity): void => {
    clients.delete(client.endpoint)
    for (const role of ['bootstrap', 'server'] as const) {
      if (byRole[role].get(client[role].identity) === client.endpoint) byRole[role].delete(client[role].identity)
    }
  }
  for (const c of initial) index(c)

  return {
    byEndpoint: (endpoint) => clients.get(endpoint),
    byIdentity(identity, role) {
      const endpoint = byRole[role].get(identity)
      const client = endpoint === undefined ? undefined : clients.get(endpoint)
      const key = client?.[role].key
      return client && key ? { client, key } : undefined
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    put(input) {
      const previous = clients.get(input.endpoint)
      const client: ClientSecurity = { ...input, version: input.version ?? (previous ? previous.version + 1 : 1) }
      if (previous) unindex(previous)
      index(client)
      emit(previous ? { kind: 'updated', client, previous } : { kind: 'added', client })
      return client
    },
    remove(endpoint) {
      const previous = clients.get(endpoint)
      if (!previous) return false
      unindex(previous)
      emit({ kind: 'removed', previous })
      return true
    },
    all: () => [...clients.values()],
  }
}
