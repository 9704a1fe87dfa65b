/** The public shapes of a simulated device: options, timers, states, events, and the handle. */
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import type { ServerAccount } from './default-objects.js'

/** Timers of a device; tests use short ones. */
export interface DeviceTimers {
  /** CoAP ACK_TIMEOUT; default 2000 ms. */
  ackTimeoutMs?: number
  /** CoAP MAX_RETRANSMIT; default 4. */
  maxRetransmit?: number
  /** DTLS handshake timeout; default 5000 ms. */
  handshakeTimeoutMs?: number
  /** How long to wait for Bootstrap-Finish after `POST /bs`; default 30 000 ms. */
  bootstrapTimeoutMs?: number
  /** First delay of the retry backoff (doubles per attempt); default 1000 ms. */
  retryDelayMs?: number
  /** Largest retry delay; default 60 000 ms. */
  maxRetryDelayMs?: number
  /** Attempts per phase (register, then bootstrap) before giving up; default 3. */
  retryAttempts?: number
  /** How long stop() waits for the De-register answer; default 2000 ms. */
  stopTimeoutMs?: number
  /** When set, the temperature drifts (random walk of ±0.5 °C) at this interval. */
  temperatureDriftMs?: number
}

/** Options of `createDevice`. */
export interface DeviceOptions {
  endpoint: string
  /** Bootstrap server account: coaps://host:port (or coap:// for development). */
  bootstrap?: ServerAccount
  /** LwM2M server account; when given, the device skips bootstrap and registers directly. */
  server?: ServerAccount
  /** Default 1.1. */
  lwm2mVersion?: '1.0' | '1.1'
  /** Registration lifetime in seconds when no Server instance says otherwise; default 300. */
  lifetime?: number
  /** Sent as `pct=` on the bootstrap request. */
  preferredContentFormat?: number
  /** Register with `lwm2m=1.2` first and fall back to `lwm2mVersion` on 4.12/4.00, as 1.2 clients do. */
  offerLwm2m12?: boolean
  /** Ask for a Bootstrap-Pack (`GET /bspack`) before `POST /bs`, as some 1.2 clients do; default false. */
  tryBootstrapPack?: boolean
  models?: ModelRegistry
  logger?: Logger
  timers?: DeviceTimers
  /** /3/0/3; default "1.0.0". */
  firmwareVersion?: string
  /** First /3303/0/5700 reading; default 21.5. */
  temperature?: number
}

/** Where a device is in its lifecycle ('failed': retries exhausted; start() may try again). */
export type DeviceState = 'idle' | 'bootstrapping' | 'bootstrapped' | 'registering' | 'registered' | 'failed' | 'stopped'

/** One request a server sent, as the 'request' event reports it. */
export interface DeviceRequestEvent {
  readonly interface: 'bootstrap' | 'server'
  readonly kind: string
  readonly path?: string
  readonly code: string
}

/** Events of a device and their arguments. */
export interface DeviceEvents {
  state: [DeviceState]
  bootstrapped: []
  registered: [{ location: string; serverUri: string }]
  deregistered: []
  /** A registration Update was accepted. */
  updated: []
  request: [DeviceRequestEvent]
}

/** A running simulated device. */
export interface Device {
  /** Bootstraps if it has no server account, then registers; resolves when registered. */
  start(): Promise<void>
  /** De-registers (best effort) and closes every session and timer. */
  stop(): Promise<void>
  bootstrap(): Promise<void>
  register(): Promise<void>
  update(): Promise<void>
  deregister(): Promise<void>
  readonly state: DeviceState
  /** Location-Path the server gave at registration, e.g. "/rd/5". */
  readonly registrationLocation?: string
  /** Reads, or sets (notifying observers), the /3303/0/5700 sensor value. */
  temperature(value?: number): number
  /**
   * LwM2M 1.1 Send (`POST /dp`) of these paths' current values over the registration's session,
   * in SenML CBOR (or JSON), each stamped with `time` (epoch seconds, default now); resolves with
   * the server's code.
   */
  send(paths: readonly string[], opts?: { time?: number; format?: number }): Promise<string>
  on<K extends keyof DeviceEvents>(event: K, listener: (...args: DeviceEvents[K]) => void): void
}
