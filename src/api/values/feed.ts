/**
 * Feeds the latest-values store from the server daemon's events: notifications (flattened as the
 * API shows them), LwM2M Send (the 'send' event: `{endpoint, values: [{path, value, time?}]}`),
 * and forgets a device when it de-registers. Reads made through the API are recorded by the
 * routes themselves (src/api/routes/clients.ts).
 */
import { flattenNode, type FlatValue } from '../../lwm2m/codec/flatten.js'
import type { LwM2mNode } from '../../lwm2m/node.js'
import { parsePath, type LwM2mPath } from '../../lwm2m/path.js'
import type { LatestValues } from './latestValues.js'

/** A notification as the daemon emits it (only what the store needs). */
export interface NotificationLike {
  endpoint: string
  path: string
  node?: LwM2mNode
  /** Observe-Composite: each observed path's node. */
  composite?: ReadonlyArray<readonly [LwM2mPath, LwM2mNode]>
  /** Observe-Composite: SenML times (seconds) by resource path, when the device gave them. */
  response?: { times?: Record<string, number> }
}

/** What a device sent with LwM2M Send: one value per path, `time` in ms (or s, see toMs) when the device gave one. */
export interface SendEventLike {
  endpoint: string
  values: ReadonlyArray<{ path: string; value: unknown; time?: number }>
}

/** The daemon's event emitter, seen from here. */
export interface ValueEvents {
  on(event: string, listener: (...args: never[]) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

/** Flat values of a notification (all observed paths of a composite one), {} when it did not decode. */
export function notificationValues(n: NotificationLike): Record<string, FlatValue> {
  if (n.composite) {
    const out: Record<string, FlatValue> = {}
    for (const [p, node] of n.composite) Object.assign(out, flattenNode(node, p))
    return out
  }
  if (!n.node) return {}
  try {
    return flattenNode(n.node, parsePath(n.path))
  } catch {
    return {}
  }
}

/** A SenML time (seconds, possibly fractional) or a ms timestamp, as ms; undefined when absent or absurd. */
function toMs(t: number | undefined): number | undefined {
  if (t === undefined || !Number.isFinite(t) || t <= 0) return undefined
  // Before 2001 in ms means it was seconds.
  return t < 1e12 ? Math.round(t * 1000) : t
}

function flat(v: unknown): FlatValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  return v === undefined ? null : JSON.stringify(v)
}

/** Records a Send in the store: the hook the daemon's 'send' event calls (interop's LwM2M Send handling). */
export function recordSend(store: LatestValues, e: SendEventLike): void {
  const now = Date.now()
  for (const v of e.values) store.record(e.endpoint, { [v.path]: flat(v.value) }, 'send', toMs(v.time) ?? now)
}

/** Subscribes the store to notifications, Sends and de-registrations; returns the unsubscribe. */
export function feedLatestValues(events: ValueEvents, store: LatestValues): () => void {
  const onNotification = (n: NotificationLike) => {
    const values = notificationValues(n)
    const times = n.response?.times
    if (!times) return store.record(n.endpoint, values, 'notification')
    // Timestamped values (Observe-Composite with SenML times) are recorded at the device's time.
    const now = Date.now()
    for (const [path, value] of Object.entries(values)) store.record(n.endpoint, { [path]: value }, 'notification', toMs(times[path]) ?? now)
  }
  const onSend = (e: SendEventLike) => recordSend(store, e)
  const onDeregistered = (reg: { endpoint: string }) => store.forget(reg.endpoint)
  events.on('notification', onNotification as (...a: never[]) => void)
  events.on('send', onSend as (...a: never[]) => void)
  events.on('deregistered', onDeregistered as (...a: never[]) => void)
  return () => {
    events.off('notification', onNotification as (...a: never[]) => void)
    events.off('send', onSend as (...a: never[]) => void)
    events.off('deregistered', onDeregistered as (...a: never[]) => void)
  }
}
