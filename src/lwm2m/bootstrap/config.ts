import { BootstrapConfigError } from './errors.js'

/** How the bootstrap server provisions devices. Validated once by resolveBootstrapConfig. */
export interface BootstrapConfig {
  /** Lifetime written to /1/x/1, seconds; default 300. */
  readonly serverLifetime: number
  /** Short Server ID written to /0/x/10 and /1/x/0 (1..65534); default 101. */
  readonly shortServerId: number
  /**
   * Security instance id for the LwM2M server account. Undefined (default): after deleting /0
   * the session Bootstrap-Discovers /0 and takes the lowest free id from 1 up, so the id never
   * collides with the bootstrap account the client keeps; when Discover fails, 1.
   */
  readonly securityInstanceId?: number
  /** Server instance id; default 0 (/1 is empty after the delete). */
  readonly serverInstanceId: number
  /** Binding written to /1/x/7; default "U". */
  readonly binding: string
  /** Notification Storing When Disabled or Offline (/1/x/6); default true. */
  readonly notificationStoring: boolean
  /** Bootstrap-Discover "/" after the writes (logged at debug); default false. */
  readonly discoverAfterWrite: boolean
  /** A session not finished after this long fails with reason "timeout"; default 60 s. */
  readonly sessionTimeoutMs: number
  /** Per-request timeout given to the sender; undefined = the sender's default. */
  readonly requestTimeoutMs?: number
  /**
   * Whether POST /bs needs an authenticated DTLS identity. True over DTLS; false only for the
   * explicit plain-UDP development mode, where any peer may bootstrap any endpoint.
   */
  readonly requireIdentity: boolean
}

export const DEFAULT_BOOTSTRAP_CONFIG: BootstrapConfig = Object.freeze({
  serverLifetime: 300,
  shortServerId: 101,
  serverInstanceId: 0,
  binding: 'U',
  notificationStoring: true,
  discoverAfterWrite: false,
  sessionTimeoutMs: 60_000,
  requireIdentity: true,
})

const BINDINGS = /^(U|UQ|S|SQ|US|UQS|T|N|[UMHTSN]{1,6})$/

/** Fills defaults and validates; throws BootstrapConfigError. The result is frozen. */
export function resolveBootstrapConfig(partial: Partial<BootstrapConfig> = {}): BootstrapConfig {
  const c = { ...DEFAULT_BOOTSTRAP_CONFIG, ...stripUndefined(partial) }
  if (!Number.isInteger(c.serverLifetime) || c.serverLifetime < 1 || c.serverLifetime > 0xffffffff) {
    throw new BootstrapConfigError(`server lifetime ${c.serverLifetime} is not a whole number of seconds from 1`)
  }
  if (!Number.isInteger(c.shortServerId) || c.shortServerId < 1 || c.shortServerId > 65534) {
    throw new BootstrapConfigError(`short server id ${c.shortServerId} is not in 1..65534`)
  }
  for (const [name, id] of [['security', c.securityInstanceId], ['server', c.serverInstanceId]] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id > 65534)) {
      throw new BootstrapConfigError(`${name} instance id ${id} is not in 0..65534`)
    }
  }
  if (!BINDINGS.test(c.binding)) throw new BootstrapConfigError(`binding "${c.binding}" is not an LwM2M binding`)
  if (!(c.sessionTimeoutMs > 0)) throw new BootstrapConfigError(`session timeout ${c.sessionTimeoutMs} ms is not positive`)
  if (c.requestTimeoutMs !== undefined && !(c.requestTimeoutMs > 0)) {
    throw new BootstrapConfigError(`request timeout ${c.requestTimeoutMs} ms is not positive`)
  }
  return Object.freeze(c)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
