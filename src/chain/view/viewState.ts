import type { Hex } from 'viem'
import { clientKeyContext, userEmailContext, userPasswordContext } from '../records/sealContexts.js'
import type { StoreEvent } from './events.js'
import type { ClientEntry, ClientView, UserEntry, UserView, ViewChange } from './types.js'

/** What one applied event overwrote, to undo it after a reorganisation. */
export type ViewUndo =
  | { kind: 'client'; endpoint: string; previous?: ClientEntry }
  | { kind: 'user'; username: string; previous?: UserEntry }

/** Opens a sealed value with the deployment's key; undefined when it cannot be opened. */
export type Unsealer = (sealed: Hex, context: string) => Uint8Array | undefined

/** An unsealer that also names the key that opened each value (a SealingKeyRing during a rotation). */
export interface KeyedUnsealer {
  open(sealed: Hex, context: string): { value: Uint8Array; publicKey: Hex } | undefined
}

const ROLE_NAMES = { 1: 'admin', 2: 'user', 3: 'application' } as const

/** Name of a UserStore role number. */
export function roleName(role: number): UserView['roleName'] {
  return ROLE_NAMES[role as 1 | 2 | 3] ?? 'unknown'
}

/**
 * The in-memory state of the stores: entries keyed for every lookup the daemons make, so a lookup
 * is a Map read. Applies decoded events in chain order and reports what changed.
 */
export class ViewState {
  private readonly clientsByEndpoint = new Map<string, ClientEntry>()
  private readonly endpointByHash = new Map<string, string>()
  private readonly endpointByIdentity = new Map<string, string>()
  private readonly usersByName = new Map<string, UserEntry>()
  private readonly usernameByHash = new Map<string, string>()
  private readonly usernameByEmailHash = new Map<string, string>()
  private readonly clientViews = new Map<string, ClientView>()
  private readonly userViews = new Map<string, UserView>()
  /** Which keys opened each record's sealed values ('c:endpoint' / 'u:username'); only with a KeyedUnsealer. */
  private readonly openedBy = new Map<string, Hex[]>()
  private readonly unseal?: Unsealer
  private readonly keyed?: KeyedUnsealer

  constructor(unseal?: Unsealer | KeyedUnsealer) {
    if (typeof unseal === 'function' || unseal === undefined) {
      this.unseal = unseal
      this.keyed = undefined
    } else this.keyed = unseal
  }

  /** Opens one sealed value of record `id`, noting which key opened it. */
  private open(id: string, sealed: Hex, context: string): Uint8Array | undefined {
    if (this.unseal) return this.unseal(sealed, context)
    const opened = this.keyed?.open(sealed, context)
    if (!opened) return undefined
    const keys = this.openedBy.get(id)
    if (!keys) this.openedBy.set(id, [opened.publicKey])
    else if (!keys.includes(opened.publicKey)) keys.push(opened.publicKey)
    return opened.value
  }

  /** How many records still hold a value that only a key other than `publicKey` opened (a rotation's re-sealing is done at 0). */
  sealedWithOtherKeys(publicKey: Hex): number {
    const want = publicKey.toLowerCase()
    let n = 0
    for (const keys of this.openedBy.values()) if (keys.some((k) => k !== want)) n++
    return n
  }

  /**
   * What applying `ev` would overwrite: the entry it replaces or removes (undefined: it adds one),
   * so a reorganisation can be undone event by event (see undo()).
   */
  undoOf(ev: StoreEvent): ViewUndo | undefined {
    switch (ev.type) {
      case 'SealingKeyChanged':
        return undefined
      case 'ClientAdded':
      case 'ClientUpdated':
        return { kind: 'client', endpoint: ev.record.endpoint, previous: this.clientsByEndpoint.get(ev.record.endpoint) }
      case 'ClientRemoved': {
        const endpoint = this.endpointByHash.get(ev.endpointHash.toLowerCase())
        return endpoint === undefined ? undefined : { kind: 'client', endpoint, previous: this.clientsByEndpoint.get(endpoint) }
      }
      case 'UserAdded':
      case 'UserUpdated':
        return { kind: 'user', username: ev.record.username, previous: this.usersByName.get(ev.record.username) }
      case 'UserRemoved': {
        const username = this.usernameByHash.get(ev.usernameHash.toLowerCase())
        return username === undefined ? undefined : { kind: 'user', username, previous: this.usersByName.get(username) }
      }
    }
  }

  /** Puts back what one event overwrote (undo in reverse order of apply); returns the change. */
  undo(u: ViewUndo): ViewChange {
    if (u.kind === 'client') {
      const before = this.clientViews.get(u.endpoint)
      if (u.previous) this.putClient(u.previous)
      else this.deleteClient(u.endpoint)
      const after = this.clientViews.get(u.endpoint)
      if (!after) return { kind: 'client-removed', endpoint: u.endpoint, previous: before! }
      return { kind: before ? 'client-updated' : 'client-added', endpoint: u.endpoint, client: after, previous: before }
    }
    const before = this.userViews.get(u.username)
    if (u.previous) this.putUser(u.previous)
    else this.deleteUser(u.username)
    const after = this.userViews.get(u.username)
    if (!after) return { kind: 'user-removed', username: u.username, previous: before! }
    return { kind: before ? 'user-updated' : 'user-added', username: u.username, user: after, previous: before }
  }

  /** Applies one event; returns the change, or undefined for an event that changes nothing known. */
  apply(ev: StoreEvent): ViewChange | undefined {
    switch (ev.type) {
      // The key ring follows these (createChainView); the records themselves do not change.
      case 'SealingKeyChanged':
        return undefined
      case 'ClientAdded':
      case 'ClientUpdated': {
        const r = ev.record
        const previous = this.clientViews.get(r.endpoint)
        this.putClient({
          endpoint: r.endpoint,
          endpointHash: ev.endpointHash,
          bootstrapUri: r.bootstrapUri,
          bootstrapIdentity: r.bootstrapIdentity,
          bootstrapKeySealed: r.bootstrapKeySealed,
          serverUri: r.serverUri,
          serverIdentity: r.serverIdentity,
          serverKeySealed: r.serverKeySealed,
          version: ev.version,
          block: ev.block.toString(),
        })
        const client = this.clientViews.get(r.endpoint)!
        return { kind: previous ? 'client-updated' : 'client-added', endpoint: r.endpoint, client, previous }
      }
      case 'ClientRemoved': {
        const endpoint = this.endpointByHash.get(ev.endpointHash.toLowerCase())
        if (endpoint === undefined) return undefined
        const previous = this.clientViews.get(endpoint)!
        this.deleteClient(endpoint)
        return { kind: 'client-removed', endpoint, previous }
      }
      case 'UserAdded':
      case 'UserUpdated': {
        const r = ev.record
        const previous = this.userViews.get(r.username)
        this.putUser({
          username: r.username,
          usernameHash: ev.usernameHash,
          role: Number(r.role),
          emailHash: r.emailHash,
          emailSealed: r.emailSealed,
          passwordSealed: r.passwordSealed,
          version: ev.version,
          block: ev.block.toString(),
        })
        const user = this.userViews.get(r.username)!
        return { kind: previous ? 'user-updated' : 'user-added', username: r.username, user, previous }
      }
      case 'UserRemoved': {
        const username = this.usernameByHash.get(ev.usernameHash.toLowerCase())
        if (username === undefined) return undefined
        const previous = this.userViews.get(username)!
        this.deleteUser(username)
        return { kind: 'user-removed', username, previous }
      }
    }
  }

  clientByEndpoint(endpoint: string): ClientView | undefined {
    return this.clientViews.get(endpoint)
  }

  /** The endpoint that owns a PSK identity (bootstrap or server side). */
  endpointOfIdentity(identity: string): string | undefined {
    return this.endpointByIdentity.get(identity)
  }

  userByUsername(username: string): UserView | undefined {
    return this.userViews.get(username)
  }

  userByEmailHash(emailHash: Hex): UserView | undefined {
    const name = this.usernameByEmailHash.get(emailHash.toLowerCase())
    return name === undefined ? undefined : this.userViews.get(name)
  }

  clients(): ClientView[] {
    return [...this.clientViews.values()]
  }

  users(): UserView[] {
    return [...this.userViews.values()]
  }

  /** Entries with sealed secrets only: what may be written to disk. */
  entries(): { clients: ClientEntry[]; users: UserEntry[] } {
    return { clients: [...this.clientsByEndpoint.values()], users: [...this.usersByName.values()] }
  }

  /**
   * The opened secrets of entries(), in the order sealedOfEntries() lists their sealed values:
   * each client's bootstrap and server key, then each user's e-mail and password verifier.
   */
  openedValues(): (Uint8Array | undefined)[] {
    const out: (Uint8Array | undefined)[] = []
    for (const endpoint of this.clientsByEndpoint.keys()) {
      const v = this.clientViews.get(endpoint)
      out.push(v?.bootstrap.key, v?.server.key)
    }
    const utf8 = new TextEncoder()
    for (const username of this.usersByName.keys()) {
      const v = this.userViews.get(username)
      out.push(v?.email === undefined ? undefined : utf8.encode(v.email), v?.passwordVerifier === undefined ? undefined : utf8.encode(v.passwordVerifier))
    }
    return out
  }

  /** Restores entries from a snapshot. */
  restore(snapshot: { clients: ClientEntry[]; users: UserEntry[] }): void {
    for (const c of snapshot.clients) this.putClient(c)
    for (const u of snapshot.users) this.putUser(u)
  }

  private putClient(e: ClientEntry): void {
    const old = this.clientsByEndpoint.get(e.endpoint)
    if (old) this.deleteClient(e.endpoint)
    this.clientsByEndpoint.set(e.endpoint, e)
    this.endpointByHash.set(e.endpointHash.toLowerCase(), e.endpoint)
    this.endpointByIdentity.set(e.bootstrapIdentity, e.endpoint)
    this.endpointByIdentity.set(e.serverIdentity, e.endpoint)
    this.clientViews.set(e.endpoint, {
      endpoint: e.endpoint,
      version: e.version,
      bootstrap: {
        uri: e.bootstrapUri,
        identity: e.bootstrapIdentity,
        key: this.open(`c:${e.endpoint}`, e.bootstrapKeySealed, clientKeyContext(e.endpoint, 'bootstrap')),
      },
      server: {
        uri: e.serverUri,
        identity: e.serverIdentity,
        key: this.open(`c:${e.endpoint}`, e.serverKeySealed, clientKeyContext(e.endpoint, 'server')),
      },
    })
  }

  private deleteClient(endpoint: string): void {
    const e = this.clientsByEndpoint.get(endpoint)
    if (!e) return
    this.clientsByEndpoint.delete(endpoint)
    this.openedBy.delete(`c:${endpoint}`)
    this.clientViews.delete(endpoint)
    this.endpointByHash.delete(e.endpointHash.toLowerCase())
    // Only drop identity mappings that still point at this endpoint.
    for (const id of [e.bootstrapIdentity, e.serverIdentity]) {
      if (this.endpointByIdentity.get(id) === endpoint) this.endpointByIdentity.delete(id)
    }
  }

  private putUser(e: UserEntry): void {
    if (this.usersByName.has(e.username)) this.deleteUser(e.username)
    this.usersByName.set(e.username, e)
    this.usernameByHash.set(e.usernameHash.toLowerCase(), e.username)
    this.usernameByEmailHash.set(e.emailHash.toLowerCase(), e.username)
    const email = this.open(`u:${e.username}`, e.emailSealed, userEmailContext(e.username))
    const verifier = this.open(`u:${e.username}`, e.passwordSealed, userPasswordContext(e.username))
    this.userViews.set(e.username, {
      username: e.username,
      role: e.role,
      roleName: roleName(e.role),
      emailHash: e.emailHash,
      version: e.version,
      email: email ? new TextDecoder().decode(email) : undefined,
      passwordVerifier: verifier ? new TextDecoder().decode(verifier) : undefined,
    })
  }

  private deleteUser(username: string): void {
    const e = this.usersByName.get(username)
    if (!e) return
    this.usersByName.delete(username)
    this.openedBy.delete(`u:${username}`)
    this.userViews.delete(username)
    this.usernameByHash.delete(e.usernameHash.toLowerCase())
    if (this.usernameByEmailHash.get(e.emailHash.toLowerCase()) === username) {
      this.usernameByEmailHash.delete(e.emailHash.toLowerCase())
    }
  }
}
