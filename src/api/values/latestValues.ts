/**
 * The latest value of every resource the server has seen per registered device (from Reads made
 * through the API, notifications and LwM2M Send), with the time it was seen, and a short history
 * of numeric values for the console's plots. Memory is bounded per device: at most `maxPaths`
 * resources (the least recently updated is dropped), `historyLength` numeric samples each in two
 * growing Float64Array rings, strings cut at `maxStringLength`; the caller forgets a device when it
 * de-registers. Measured: see docs/DESIGN.md ("Latest values").
 */
import type { FlatValue } from '../../lwm2m/codec/flatten.js'

/** Where a value came from. */
export type ValueSource = 'read' | 'notification' | 'send'

/** A resource's latest value as the API answers it. */
export interface LatestValue {
  value: FlatValue
  /** When the server saw it (or the time a Send carried), ms since the epoch. */
  time: number
  source: ValueSource
}

/** A numeric sample of the history. */
export interface ValueSample {
  time: number
  value: number
}

export interface LatestValuesOptions {
  /** Resources kept per device; default 64. */
  maxPaths?: number
  /** Numeric samples kept per resource; default 60. */
  historyLength?: number
  /** Longest string value kept (opaque values arrive as base64); default 256 characters. */
  maxStringLength?: number
  /** Devices kept; beyond it the least recently updated is dropped. Default 100,000. */
  maxDevices?: number
}

/** The store. */
export interface LatestValues {
  /** Records flat values (`{"/3303/0/5700": 21.5}`) of one device, seen at `time`. */
  record(endpoint: string, values: Readonly<Record<string, FlatValue>>, source: ValueSource, time?: number): void
  /** Latest values of a device by path (empty when none). */
  latest(endpoint: string): Record<string, LatestValue>
  /** The numeric history of one resource, oldest first. */
  history(endpoint: string, path: string): ValueSample[]
  /** Drops a device's values (it de-registered). */
  forget(endpoint: string): void
  /** Devices and resources held (for metrics and the memory measurement). */
  size(): { devices: number; resources: number }
}

/**
 * Numeric samples, time and value interleaved in one Float64Array that grows (4, 8, ... up to
 * `max` samples) and then wraps. Created only on a resource's second numeric value: one value is
 * the latest value itself, and a typed array costs ~200 bytes before it holds anything.
 */
class Ring {
  data: Float64Array
  next = 0
  count = 0
  constructor(private readonly max: number) {
    this.data = new Float64Array(2 * Math.min(4, max))
  }
  private get capacity(): number {
    return this.data.length / 2
  }
  push(time: number, value: number): void {
    if (this.count === this.capacity && this.count < this.max) {
      // Still filling (next === count): grow instead of wrapping.
      const grown = new Float64Array(2 * Math.min(this.max, this.capacity * 2))
      grown.set(this.data)
      this.data = grown
      // Full and never wrapped: samples sit at 0..count-1, and `next` had wrapped to 0.
      this.next = this.count
    }
    const n = this.capacity
    this.data[2 * this.next] = time
    this.data[2 * this.next + 1] = value
    this.next = (this.next + 1) % n
    if (this.count < n) this.count++
  }
  samples(): ValueSample[] {
    const out: ValueSample[] = []
    const n = this.capacity
    for (let i = 0; i < this.count; i++) {
      const j = (this.next - this.count + i + n) % n
      out.push({ time: this.data[2 * j]!, value: this.data[2 * j + 1]! })
    }
    return out
  }
}

interface Entry {
  value: FlatValue
  time: number
  source: ValueSource
  ring?: Ring
}

/** Creates an in-memory LatestValues store. */
export function createLatestValues(o: LatestValuesOptions = {}): LatestValues {
  const maxPaths = o.maxPaths ?? 64
  const historyLength = o.historyLength ?? 60
  const maxStringLength = o.maxStringLength ?? 256
  const maxDevices = o.maxDevices ?? 100_000
  // Maps iterate in insertion order; an update re-inserts, so the first key is the least recently updated.
  const devices = new Map<string, Map<string, Entry>>()
  let resources = 0

  const deviceOf = (endpoint: string): Map<string, Entry> => {
    let d = devices.get(endpoint)
    if (d) {
      devices.delete(endpoint)
      devices.set(endpoint, d)
      return d
    }
    while (devices.size >= maxDevices) {
      const [oldest, gone] = devices.entries().next().value as [string, Map<string, Entry>]
      resources -= gone.size
      devices.delete(oldest)
    }
    d = new Map()
    devices.set(endpoint, d)
    return d
  }

  return {
    record(endpoint, values, source, time = Date.now()) {
      const paths = Object.keys(values)
      if (paths.length === 0) return
      const d = deviceOf(endpoint)
      for (const path of paths) {
        let value = values[path]!
        if (typeof value === 'string' && value.length > maxStringLength) value = `${value.slice(0, maxStringLength)}…`
        let e: Entry | undefined = d.get(path)
        const isNew = e === undefined
        if (e) d.delete(path)
        else {
          while (d.size >= maxPaths) {
            d.delete(d.keys().next().value as string)
            resources--
          }
          resources++
          e = { value, time, source }
        }
        const previous: FlatValue = e.value
        const previousTime: number = e.time
        e.value = value
        e.time = time
        e.source = source
        if (typeof value === 'number' && Number.isFinite(value) && historyLength > 0) {
          // A new entry holds its one value itself; the ring starts with the second.
          if (!isNew && !e.ring && typeof previous === 'number' && Number.isFinite(previous)) {
            e.ring = new Ring(historyLength)
            e.ring.push(previousTime, previous)
          }
          e.ring?.push(time, value)
        }
        d.set(path, e)
      }
    },
    latest(endpoint) {
      const out: Record<string, LatestValue> = {}
      for (const [path, e] of devices.get(endpoint) ?? []) out[path] = { value: e.value, time: e.time, source: e.source }
      return out
    },
    history(endpoint, path) {
      const e = devices.get(endpoint)?.get(path)
      if (!e) return []
      if (e.ring) return e.ring.samples()
      return typeof e.value === 'number' && Number.isFinite(e.value) ? [{ time: e.time, value: e.value }] : []
    },
    forget(endpoint) {
      const d = devices.get(endpoint)
      if (!d) return
      resources -= d.size
      devices.delete(endpoint)
    },
    size: () => ({ devices: devices.size, resources }),
  }
}
