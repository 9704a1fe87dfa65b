import type { Logger } from '../../logger.js'
import { ContentFormat } from '../../lwm2m/content-format.js'
import type { ModelRegistry } from '../../lwm2m/model.js'
import { loadDefaultModels } from '../../lwm2m/models/registry.js'
import { createDevice, type Device, type DeviceState, type DeviceTimers } from '../../simulator/index.js'
import { UsageError } from '../../errors/base.js'
import type { SimDeviceSpec } from './credentials.js'

/** Content formats a simulated device asks its bootstrap server for. */
export const SIM_FORMATS = { tlv: ContentFormat.TLV, 'senml-json': ContentFormat.SENML_JSON, 'senml-cbor': ContentFormat.SENML_CBOR } as const
export type SimFormat = keyof typeof SIM_FORMATS

export interface FleetOptions {
  specs: SimDeviceSpec[]
  /** Default 1.1. */
  lwm2mVersion?: '1.0' | '1.1'
  /** Preferred content format (sent as `pct=` at bootstrap). */
  format?: SimFormat
  /** Temperature random-walk interval; default 5000 ms, 0 keeps readings still. */
  driftMs?: number
  /** Devices starting at once (each start is a DTLS handshake or two); default 16. */
  concurrency?: number
  /** A failed device is started again after this long (doubling per failure, at most 5 min); default 10 000 ms. */
  retryMs?: number
  lifetime?: number
  timers?: DeviceTimers
  logger: Logger
  /** Called on every state change of any device. */
  onState?: (endpoint: string, state: DeviceState) => void
}

/** One device of a fleet, as a snapshot. */
export interface FleetDeviceStatus {
  endpoint: string
  state: DeviceState
  temperature: number
  requests: number
}

/** Simulated devices started together and stopped together. */
export interface Fleet {
  readonly devices: ReadonlyMap<string, Device>
  /** Starts every device with bounded concurrency; resolves once each registered or failed once. */
  start(): Promise<{ registered: number; failed: number }>
  /** De-registers and closes every device (allSettled: one stuck device does not keep the others). */
  stop(): Promise<void>
  status(): FleetDeviceStatus[]
  /** Device count per state. */
  counts(): Partial<Record<DeviceState, number>>
}

/** Parses `--format`. */
export function parseSimFormat(v: string | undefined): SimFormat | undefined {
  if (v === undefined) return undefined
  if (!(v in SIM_FORMATS)) throw new UsageError(`--format must be one of ${Object.keys(SIM_FORMATS).join(', ')}, not "${v}"`)
  return v as SimFormat
}

/** Creates the devices of a fleet (nothing is sent until start()). */
export function createFleet(o: FleetOptions): Fleet {
  const models: ModelRegistry = loadDefaultModels()
  const devices = new Map<string, Device>()
  const requests = new Map<string, number>()
  const retries = new Set<ReturnType<typeof setTimeout>>()
  const retryMs = o.retryMs ?? 10_000
  const driftMs = o.driftMs ?? 5000
  let stopping = false

  for (const [i, spec] of o.specs.entries()) {
    const device = createDevice({
      endpoint: spec.endpoint,
      bootstrap: spec.bootstrap,
      lwm2mVersion: o.lwm2mVersion,
      lifetime: o.lifetime,
      ...(o.format && { preferredContentFormat: SIM_FORMATS[o.format] }),
      models,
      logger: o.logger,
      // Spread the first readings so a dashboard shows different devices.
      temperature: Math.round((19 + ((i * 7) % 50) / 10) * 10) / 10,
      timers: { ...o.timers, ...(driftMs > 0 && { temperatureDriftMs: driftMs }) },
    })
    requests.set(spec.endpoint, 0)
    device.on('request', () => requests.set(spec.endpoint, (requests.get(spec.endpoint) ?? 0) + 1))
    device.on('state', (state) => {
      o.onState?.(spec.endpoint, state)
      if (state === 'registered') failures.delete(spec.endpoint)
      if (state === 'failed' && !stopping) scheduleRetry(spec.endpoint, device)
    })
    devices.set(spec.endpoint, device)
  }

  const failures = new Map<string, number>()
  const scheduleRetry = (endpoint: string, device: Device): void => {
    // Backoff per device: a revoked device (refused at bootstrap) should not flood the servers.
    const n = failures.get(endpoint) ?? 0
    failures.set(endpoint, n + 1)
    const t = setTimeout(() => {
      retries.delete(t)
      if (stopping) return
      device.start().catch((err: unknown) => o.logger.debug({ endpoint, err: (err as Error).message }, 'device start failed again'))
    }, Math.min(retryMs * 2 ** n, 300_000))
    t.unref?.()
    retries.add(t)
  }

  return {
    devices,
    async start() {
      const queue = [...devices.entries()]
      let registered = 0
      let failed = 0
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next && !stopping; next = queue.shift()) {
          const [endpoint, device] = next
          try {
            await device.start()
            registered++
          } catch (err) {
            failed++
            o.logger.warn({ endpoint, err: (err as Error).message }, 'device did not register; retrying later')
          }
        }
      }
      const n = Math.max(1, Math.min(o.concurrency ?? 16, queue.length))
      await Promise.all(Array.from({ length: n }, worker))
      return { registered, failed }
    },
    async stop() {
      stopping = true
      for (const t of retries) clearTimeout(t)
      retries.clear()
      const results = await Promise.allSettled([...devices.values()].map((d) => d.stop()))
      for (const r of results) if (r.status === 'rejected') o.logger.warn({ err: (r.reason as Error)?.message }, 'device did not stop cleanly')
    },
    status() {
      return [...devices.entries()].map(([endpoint, d]) => ({ endpoint, state: d.state, temperature: d.temperature(), requests: requests.get(endpoint) ?? 0 }))
    },
    counts() {
      const c: Partial<Record<DeviceState, number>> = {}
      for (const d of devices.values()) c[d.state] = (c[d.state] ?? 0) + 1
      return c
    },
  }
}
