/**
 * Observes a configured set of resources on every device that registers (default the
 * temperature, /3303/0/5700), after writing the chosen notification attributes, so the console
 * has live values without anyone clicking Read. Paths whose object the device did not register
 * are skipped; a device that refuses (4.04, 4.05) or does not answer is logged at debug level and
 * left alone. The observations are handed to the API's registry, so DELETE .../observe cancels them.
 */
import type { Logger } from '../../logger.js'
import type { NotificationAttributes } from '../../lwm2m/link.js'
import { formatPath, parsePath, type LwM2mPath } from '../../lwm2m/path.js'
import type { LwM2mObservation } from '../../lwm2m/request/sender.js'
import type { LwM2mResponse, RequestOf } from '../../lwm2m/request/types.js'
import type { Registration } from '../../lwm2m/server/index.js'

/** What to observe on registration. */
export interface AutoObserveConfig {
  /** Paths, e.g. ["/3303/0/5700"]; empty turns it off. */
  paths: readonly string[]
  /** Write-Attributes sent before each Observe (e.g. {pmin: 1, pmax: 60}); none by default. */
  attributes?: NotificationAttributes
}

/** The default: the temperature sensor's value. */
export const DEFAULT_AUTO_OBSERVE: AutoObserveConfig = { paths: ['/3303/0/5700'] }

/** What the auto-observer needs of the server daemon. */
export interface AutoObserveDaemon {
  send(endpoint: string, request: RequestOf<'writeAttributes'>): Promise<LwM2mResponse>
  observe(endpoint: string, request: RequestOf<'observe'>): Promise<LwM2mObservation>
  registrations: { all(): Iterable<Registration> }
  events: {
    on(e: 'registered', l: (reg: Registration) => void): unknown
    off(e: 'registered', l: (reg: Registration) => void): unknown
  }
}

export interface AutoObserveDeps {
  daemon: AutoObserveDaemon
  config: AutoObserveConfig
  /** Takes a started observation (the API's registry) and its first answer (the latest values). */
  adopt(endpoint: string, path: LwM2mPath, obs: LwM2mObservation): void
  logger: Logger
}

/** Running auto-observation; stop() only stops starting new ones (the registry cancels the rest). */
export interface AutoObserver {
  stop(): void
}

/** Whether the registration lists the path's object (or that instance). */
function registers(reg: Registration, path: LwM2mPath): boolean {
  return reg.objectLinks.some((l) => l.objectId === path.objectId && (l.instanceId === undefined || path.instanceId === undefined || l.instanceId === path.instanceId))
}

/** Starts observing the configured paths on every registration (and on devices already registered). */
export function startAutoObserve(deps: AutoObserveDeps): AutoObserver {
  const log = deps.logger.child({ component: 'auto-observe' })
  const paths = deps.config.paths.map((p) => parsePath(p))
  const attributes = deps.config.attributes && Object.keys(deps.config.attributes).length > 0 ? deps.config.attributes : undefined
  let stopped = false

  const observe = async (reg: Registration, path: LwM2mPath): Promise<void> => {
    const where = { endpoint: reg.endpoint, path: formatPath(path) }
    try {
      if (attributes) {
        const res = await deps.daemon.send(reg.endpoint, { kind: 'writeAttributes', path, attributes })
        if (!res.success) log.debug({ ...where, code: res.coapCode }, 'device refused the observe attributes; observing anyway')
      }
      const obs = await deps.daemon.observe(reg.endpoint, { kind: 'observe', path })
      if (stopped) {
        await obs.cancel()
        return
      }
      if (!obs.active) {
        log.debug({ ...where, code: obs.response.coapCode }, 'device did not accept the observation')
        return
      }
      deps.adopt(reg.endpoint, path, obs)
    } catch (err) {
      log.debug({ ...where, err: (err as Error).message }, 'cannot observe')
    }
  }

  const onRegistered = (reg: Registration): void => {
    if (stopped) return
    const wanted = paths.filter((p) => registers(reg, p))
    if (wanted.length === 0) return
    // After the registration answer went out: a device serves requests once it knows it is registered.
    setTimeout(() => {
      if (!stopped) for (const p of wanted) void observe(reg, p)
    }, 50).unref()
  }
  if (paths.length > 0) {
    deps.daemon.events.on('registered', onRegistered)
    for (const reg of deps.daemon.registrations.all()) onRegistered(reg)
  }
  return {
    stop() {
      stopped = true
      deps.daemon.events.off('registered', onRegistered)
    },
  }
}

/** Parses `--observe-attributes pmin=1,pmax=60` (numbers; attribute names of Write-Attributes). */
export function parseObserveAttributes(text: string): NotificationAttributes {
  const out: Record<string, number> = {}
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(pmin|pmax|gt|lt|st|epmin|epmax)=(-?\d+(?:\.\d+)?)$/.exec(part)
    if (!m) throw new Error(`"${part}" is not NAME=NUMBER with NAME one of pmin, pmax, gt, lt, st, epmin, epmax`)
    out[m[1]!] = Number(m[2])
  }
  return out as NotificationAttributes
}
