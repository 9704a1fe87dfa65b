import type { Hex } from 'viem'

/** A client as the chain's latest event says, with sealed keys (what the snapshot persists). */
export interface ClientEntry {
  endpoint: string
  endpointHash: Hex
  bootstrapUri: string
  bootstrapIdentity: string
  bootstrapKeySealed: Hex
  serverUri: string
  serverIdentity: string
  serverKeySealed: Hex
  version: number
  /** Block of the event that set this version (decimal string). */
  block: string
}

/** A user as the chain's latest event says, with sealed e-mail and password verifier. */
export interface UserEntry {
  username: string
  usernameHash: Hex
  role: number
  emailHash: Hex
  emailSealed: Hex
  passwordSealed: Hex
  version: number
  block: string
}

/** One side (bootstrap or server) of a client's credentials as the view serves it. */
export interface ClientSide {
  uri: string
  identity: string
  /** The PSK, unsealed; present only when the view holds the sealing private key. */
  key?: Uint8Array
}

/** A client as lookups return it. */
export interface ClientView {
  endpoint: string
  version: number
  bootstrap: ClientSide
  server: ClientSide
}

/** Result of a lookup by PSK identity: the client and which of its identities matched. */
export interface ClientByIdentity extends ClientView {
  matchedRole: 'bootstrap' | 'server'
  /** The PSK of the matched identity (when the view holds the sealing key). */
  psk?: Uint8Array
}

/** A user as lookups return it. Role: 1 admin, 2 user, 3 application. */
export interface UserView {
  username: string
  role: number
  roleName: 'admin' | 'user' | 'application' | 'unknown'
  emailHash: Hex
  version: number
  /** Unsealed e-mail (with the sealing key). */
  email?: string
  /** Unsealed password verifier string, for verifyPassword() (with the sealing key). */
  passwordVerifier?: string
}

/** A change the view applied, for subscribers (daemons revoke sessions on removal etc.). */
export type ViewChange =
  | { kind: 'client-added' | 'client-updated'; endpoint: string; client: ClientView; previous?: ClientView }
  | { kind: 'client-removed'; endpoint: string; previous: ClientView }
  | { kind: 'user-added' | 'user-updated'; username: string; user: UserView; previous?: UserView }
  | { kind: 'user-removed'; username: string; previous: UserView }
  /** The chain was rewound or replaced; the view reloaded everything. */
  | { kind: 'reset' }

/** How far behind the chain the view is. */
export interface ViewLag {
  /** Head seen last minus last synced block (0 when in sync or never reached). */
  behindBlocks: number
  lastSyncedBlock: number | undefined
  lastSeenHead: number | undefined
  /** One-line message of the last failed sync, cleared on success. */
  lastError?: string
  /** Milliseconds since the last successful sync (Infinity if none yet). */
  sinceMs: number
  /** True while the last sync attempt succeeded. */
  healthy: boolean
  /** True while a newHeads subscription drives the view (else it polls). Absent for followers without one. */
  subscribed?: boolean
}
