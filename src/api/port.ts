/**
 * What the REST API needs from the LwM2M server: the port the API owns, so that src/api/ depends
 * on this interface and not on the daemon that implements it (the daemon sits above the API and
 * hands itself in). Only what a route uses is here; the daemon's own lifecycle is not.
 */
import type { LwM2mNode } from '../lwm2m/node.js'
import type { LwM2mObservation } from '../lwm2m/request/sender.js'
import type { LwM2mRequest, LwM2mResponse, RequestOf } from '../lwm2m/request/types.js'
import type { DeregistrationReason, Registration, RegistrationStore } from '../lwm2m/server/index.js'

/** A notification of an observation the server holds. */
export interface NotificationEvent {
  endpoint: string
  path: string
  /** The decoded value (absent when the notification did not decode: see response.errorMessage). */
  node?: LwM2mNode
  response: LwM2mResponse
}

/** The server's events, as listener argument tuples (node's EventEmitter map). */
export interface LwM2mServerEvents {
  registered: [reg: Registration]
  updated: [reg: Registration, previous: Registration]
  deregistered: [reg: Registration, reason: DeregistrationReason]
  notification: [event: NotificationEvent]
}

/** Counters for /api/metrics. */
export interface LwM2mServerStats {
  registrations: number
  observations: number
  sessions?: number
  revoked: number
  moved: number
  /** DTLS handshakes completed / failed since start (absent over plain UDP). */
  handshakes?: { completed: number; failed: number; inProgress: number }
  /** PSK identities offered in handshakes that no client has (one cause of failed handshakes). */
  unknownIdentities: number
}

/** Subscribing to the server's events (the subset of EventEmitter the routes use). */
export interface LwM2mServerEventSource {
  on<K extends keyof LwM2mServerEvents>(event: K, listener: (...args: LwM2mServerEvents[K]) => void): unknown
  off<K extends keyof LwM2mServerEvents>(event: K, listener: (...args: LwM2mServerEvents[K]) => void): unknown
}

/** The LwM2M server as the REST API sees it. */
export interface LwM2mServerPort {
  readonly registrations: Pick<RegistrationStore, 'byEndpoint' | 'all'>
  /** Sends a request to a registered endpoint; rejects with a not-registered error when it is not registered. */
  send(endpoint: string, request: LwM2mRequest, opts?: { timeoutMs?: number }): Promise<LwM2mResponse>
  /** Observes a path; notifications also go to the 'notification' event. */
  observe(endpoint: string, request: RequestOf<'observe'>, onNotification?: (r: LwM2mResponse) => void): Promise<LwM2mObservation>
  readonly events: LwM2mServerEventSource
  stats(): LwM2mServerStats
}
