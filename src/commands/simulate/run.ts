import { UsageError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'
import type { DeviceState, DeviceTimers } from '../../simulator/index.js'
import type { ChainCommandOptions } from '../lib/context.js'
import { positiveInt } from '../lib/commandOptions.js'
import { readSimDeviceFile, type SimDeviceSpec } from './credentials.js'
import { createFleet, parseSimFormat, type Fleet } from './fleet.js'
import { provisionSimDevices, simEndpointNames } from './provision.js'

/** Options of `lwchain simulate` (strings as commander gives them). */
export interface SimulateOptions {
  count?: string | number
  /** Credentials file: `client add --json` lines, an import report, or a JSON array. */
  from?: string
  /** Provision the devices on chain first (the default when --from is absent). */
  provision?: boolean
  prefix?: string
  lwm2m?: string
  format?: string
  driftMs?: string | number
  concurrency?: string | number
  lifetime?: string | number
  bootstrapUri?: string
  serverUri?: string
  timers?: DeviceTimers
  onState?: (endpoint: string, state: DeviceState) => void
  onProgress?: (done: number, total: number) => void
}

/** A running simulation. */
export interface RunningSimulation {
  fleet: Fleet
  specs: SimDeviceSpec[]
  /** Whether the devices were provisioned by this run. */
  provisioned: boolean
}

/** Default device count of `simulate` without --from. */
export const DEFAULT_SIM_COUNT = 5

/** Loads or provisions the devices' credentials and builds the fleet (the caller starts and stops it). */
export async function runSimulate(o: ChainCommandOptions & { logger: Logger }, s: SimulateOptions): Promise<RunningSimulation> {
  if (s.from !== undefined && s.provision) throw new UsageError('--from and --provision exclude each other')
  const lwm2mVersion = s.lwm2m === undefined ? undefined : s.lwm2m === '1.0' || s.lwm2m === '1.1' ? s.lwm2m : undefined
  if (s.lwm2m !== undefined && lwm2mVersion === undefined) throw new UsageError(`--lwm2m must be 1.0 or 1.1, not "${s.lwm2m}"`)
  const format = parseSimFormat(s.format)
  const driftMs = s.driftMs === undefined ? undefined : Number(s.driftMs)
  if (driftMs !== undefined && (!Number.isInteger(driftMs) || driftMs < 0)) throw new UsageError(`--drift-ms must be a whole number of ms, not "${s.driftMs}"`)
  const opt = (v: string | number | undefined): string | undefined => (v === undefined ? undefined : String(v))
  const concurrency = positiveInt(opt(s.concurrency), '--concurrency', 16)
  const lifetime = s.lifetime === undefined ? undefined : positiveInt(opt(s.lifetime), '--lifetime', 300)

  let specs: SimDeviceSpec[]
  let provisioned = false
  if (s.from !== undefined) {
    specs = readSimDeviceFile(s.from)
    if (s.count !== undefined) specs = specs.slice(0, positiveInt(opt(s.count), '--count', specs.length))
  } else {
    const count = positiveInt(opt(s.count), '--count', DEFAULT_SIM_COUNT)
    const prefix = s.prefix ?? 'sim-'
    specs = await provisionSimDevices(o, { endpoints: simEndpointNames(prefix, count), bootstrapUri: s.bootstrapUri, serverUri: s.serverUri, onProgress: s.onProgress })
    provisioned = true
  }
  const fleet = createFleet({ specs, lwm2mVersion, format, driftMs, concurrency, lifetime, timers: s.timers, logger: o.logger, onState: s.onState })
  return { fleet, specs, provisioned }
}
