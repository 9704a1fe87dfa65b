/**
 * What the REST API needs from the LwM2M server: the port the API owns, so that src/api/ depends
 * on this interface and not on the daemon that implements it (the daemon sits above the API and
 * hands itself in). Only what a route uses is here; the daemon's own lifecycle is not.
 */
import type { LwM2mNode } from '../lwm2m/node.js'
import type { LwM2mObservation } from '../lwm2m/request/sender.js'
import type { LwM2mRequest, LwM2mResponse, ObserveRequest } from '../lwm2m/request/types.js'
import type { PathNode } from '../lwm2m/codec/composite.js'
import type { DeregistrationReason, Registration, RegistrationStore, SendEvent } from '../lwm2m/server/index.js'

export type { SendEvent } from '../lwm2m/server/index.js'

/** A notification of an observation the server holds. */
export interface NotificationEvent {
  endpoint: string
  /** The observed path; for Observe-Composite the observed paths joined with ",". */
  path: string
  /** The decoded value (absent when the notification did not decode: see response.errorMessage). */
  node?: LwM2mNode
  /** Observe-Composite: the observed paths, and each node at its path (values of all of them). */
  paths?: string[]
  composite?: PathNode[]
  response: LwM2mResponse
}

/** The server's events, as listener argument tuples (node's EventEmitter map). */
export interface LwM2mServerEvents {
  registered: [reg: Registration]
  updated: [reg: Registration, previous: Registration]
  deregistered: [reg: Registration, reason: DeregistrationReason]
  notification: [event: NotificationEvent]
  /**
   * Values a registered client pushed with Send (`POST /dp`), flattened as reads are:
   * `{endpoint, registrationId, values: [{path, value, time?}]}` (time in epoch seconds).
   */
  send: [event: SendEvent]
  /** The outcome of a request that was still queued when send() gave up waiting (RequestQueuedError). */
  'queued-result': [event: QueuedResultEvent]
}

/** A queued request's late outcome: the response, or why it failed. */
export interface QueuedResultEvent {
  endpoint: string
  requestId: string
  /** The request's path ("/3/0/13"), absent for requests without one. */
  path?: string
  response?: LwM2mResponse
  error?: { code: string; message: string }
}

/** Queue-mode state of a registered device, for registration lists. */
export interface QueueStatus {
  queueMode: boolean
  /** Whether it is listening now (queue mode: it talked within the awake time; otherwise always). */
  awake: boolean
  /** Requests waiting for it to wake up. */
  queued: number
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
  /**
   * Sends a request to a registered endpoint; rejects with a not-registered error when it is not
   * registered. A queue-mode device's requests wait until it talks, in order: after
   * `queueTimeoutMs` (default the server's) this rejects with RequestQueuedError (HTTP 202) and the
   * outcome comes as 'queued-result'; QueueFullError (HTTP 503) when too many wait.
   */
  send(endpoint: string, request: LwM2mRequest, opts?: { timeoutMs?: number; queueTimeoutMs?: number }): Promise<LwM2mResponse>
  /** Queue-mode state of a registered endpoint (undefined when not registered). */
  queueStatus(endpoint: string): QueueStatus | undefined
  /** Observes a path (or several: Observe-Composite); notifications also go to the 'notification' event. */
  observe(endpoint: string, request: ObserveRequest, onNotification?: (r: LwM2mResponse) => void): Promise<LwM2mObservation>
  readonly events: LwM2mServerEventSource
  stats(): LwM2mServerStats
}
