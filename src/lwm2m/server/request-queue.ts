import { randomBytes } from 'node:crypto'
import { QueueFullError } from './errors.js'

/**
 * Queue mode (LwM2M 1.1 TS Core §6.5, binding `Q` / `b=UQ`): a device that sleeps between its
 * messages only listens for a while after it talked (Register, Update, Send, a notification).
 * Requests for it wait here until then and go out one at a time, in the order they came. Pure
 * logic: the daemon says when a device talks (`wake`) or stops answering (`sleep`).
 */
export interface RequestQueue {
  /** Runs `run` now when the device is awake and nothing waits before it, else queues it (QueueFullError beyond the bound). */
  submit<T>(endpoint: string, run: () => Promise<T>): QueuedRequest<T>
  /** The device talked: it listens for the awake time; queued requests go out in order. */
  wake(endpoint: string): void
  /** The device stopped answering (a request timed out): requests wait again. */
  sleep(endpoint: string): void
  isAwake(endpoint: string): boolean
  /** Requests waiting for the device. */
  queued(endpoint: string): number
  /** Drops the device's state; its waiting requests reject with `err` (de-registration, shutdown). */
  forget(endpoint: string, err: Error): void
}

/** A request in the queue: its id (for the REST API's 202) and its eventual outcome. */
export interface QueuedRequest<T> {
  readonly id: string
  readonly result: Promise<T>
  /** Whether it went out at once (the device was awake and nothing waited before it). */
  readonly immediate: boolean
}

export interface RequestQueueOptions {
  /** How long a device listens after it talked; default 93 s (CoAP MAX_TRANSMIT_WAIT, as Leshan). */
  readonly awakeMs?: number
  /** Requests that may wait per device; default 100. */
  readonly maxPerDevice?: number
  readonly now?: () => number
  readonly newId?: () => string
}

interface Pending {
  readonly run: () => Promise<unknown>
  readonly resolve: (v: unknown) => void
  readonly reject: (e: unknown) => void
}

interface DeviceQueue {
  awakeUntil: number
  pending: Pending[]
  /** A request of this device is out (they go one at a time, so order holds). */
  busy: boolean
}

/** Creates the per-device request queues of a server. */
export function createRequestQueue(o: RequestQueueOptions = {}): RequestQueue {
  const awakeMs = o.awakeMs ?? 93_000
  const max = o.maxPerDevice ?? 100
  const now = o.now ?? Date.now
  const newId = o.newId ?? (() => randomBytes(8).toString('hex'))
  const devices = new Map<string, DeviceQueue>()

  const device = (endpoint: string): DeviceQueue => {
    let d = devices.get(endpoint)
    if (!d) devices.set(endpoint, (d = { awakeUntil: 0, pending: [], busy: false }))
    return d
  }
  const awake = (d: DeviceQueue): boolean => d.awakeUntil > now()

  const pump = (endpoint: string, d: DeviceQueue): void => {
    if (d.busy || !awake(d) || devices.get(endpoint) !== d) return
    const next = d.pending.shift()
    if (!next) return
    d.busy = true
    const done = (): void => {
      d.busy = false
      pump(endpoint, d)
    }
    let started: Promise<unknown>
    try {
      started = next.run()
    } catch (err) {
      started = Promise.reject(err)
    }
    started.then(
      (v) => {
        next.resolve(v)
        done()
      },
      (e: unknown) => {
        next.reject(e)
        done()
      },
    )
  }

  return {
    submit<T>(endpoint: string, run: () => Promise<T>): QueuedRequest<T> {
      const d = device(endpoint)
      const immediate = awake(d) && !d.busy && d.pending.length === 0
      if (!immediate && d.pending.length >= max) throw new QueueFullError(endpoint, max)
      let resolve!: (v: unknown) => void
      let reject!: (e: unknown) => void
      const result = new Promise<T>((res, rej) => {
        resolve = res as (v: unknown) => void
        reject = rej
      })
      d.pending.push({ run, resolve, reject })
      pump(endpoint, d)
      return { id: newId(), result, immediate }
    },
    wake(endpoint) {
      const d = device(endpoint)
      d.awakeUntil = now() + awakeMs
      pump(endpoint, d)
    },
    sleep(endpoint) {
      const d = devices.get(endpoint)
      if (d) d.awakeUntil = 0
    },
    isAwake: (endpoint) => {
      const d = devices.get(endpoint)
      return d !== undefined && awake(d)
    },
    queued: (endpoint) => devices.get(endpoint)?.pending.length ?? 0,
    forget(endpoint, err) {
      const d = devices.get(endpoint)
      if (!d) return
      devices.delete(endpoint)
      for (const p of d.pending.splice(0)) p.reject(err)
    },
  }
}
