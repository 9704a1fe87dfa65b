/**
 * The observations servers hold on this device (LwM2M Observe, RFC 7641): a notification goes out
 * when an observed value changes — subject to pmin, and to gt/lt/st for numeric resources — and
 * at the latest every pmax seconds.
 */
import type { Logger } from '../logger.js'
import { isPathWithin, formatPath, type LwM2mPath } from '../lwm2m/path.js'
import type { CoapObserveRelation, CoapResponseInit } from '../transport/index.js'
import type { AttributeStore, EffectiveAttributes } from './attributes-store.js'

/** What an observation needs from the device: the current content and, for a resource, its number. */
export interface ObservedContent {
  /** The notification to send now (a read of the path in the observation's format). */
  response(path: LwM2mPath, format: number): CoapResponseInit
  /** The notification of an Observe-Composite: a Read-Composite of the paths in SenML `format`. */
  compositeResponse(paths: readonly LwM2mPath[], format: number): CoapResponseInit
  /** The numeric value of a single resource path, for gt/lt/st; undefined otherwise. */
  numeric(path: LwM2mPath): number | undefined
}

interface Observation {
  /** The observed path (the first of a composite one, for logs). */
  readonly path: LwM2mPath
  /** Observe-Composite: all observed paths. */
  readonly paths?: readonly LwM2mPath[]
  readonly format: number
  readonly relation: CoapObserveRelation
  lastAt: number
  lastValue?: number
  pending?: ReturnType<typeof setTimeout>
  pmaxTimer?: ReturnType<typeof setTimeout>
}

/** The device's observations. */
export interface Observations {
  /** Starts tracking an accepted relation (the first response has gone out with the read). */
  add(path: LwM2mPath, format: number, relation: CoapObserveRelation): void
  /**
   * Starts tracking an Observe-Composite relation: it notifies (the values of all paths) when any
   * observed path changes, subject to that path's pmin, and at the latest at the smallest pmax of
   * its paths. gt/lt/st do not apply to a composite observation.
   */
  addComposite(paths: readonly LwM2mPath[], format: number, relation: CoapObserveRelation): void
  /** Something changed at `path`: notify the observations it concerns. */
  changed(path: LwM2mPath): void
  /** Attributes changed at `path`: re-arm pmax timers. */
  attributesChanged(path: LwM2mPath): void
  /** Ends every observation (session closed). */
  clear(): void
  readonly size: number
}

/** Creates the observation table of one device. */
export function createObservations(o: {
  content: ObservedContent
  attributes: AttributeStore
  logger: Logger
  /** The server's default pmin/pmax (/1/x/2, /1/x/3), under any written attribute. */
  defaults?: () => EffectiveAttributes
}): Observations {
  const list: Observation[] = []
  const effective = (path: LwM2mPath): EffectiveAttributes => ({ ...o.defaults?.(), ...o.attributes.effective(path) })

  const send = (obs: Observation): void => {
    clearTimeout(obs.pending)
    obs.pending = undefined
    if (obs.relation.closed) return
    obs.lastAt = Date.now()
    obs.lastValue = obs.paths ? undefined : o.content.numeric(obs.path)
    const res = obs.paths ? o.content.compositeResponse(obs.paths, obs.format) : o.content.response(obs.path, obs.format)
    obs.relation.notify(res).catch((err: unknown) => {
      o.logger.debug({ err, path: formatPath(obs.path) }, 'notification not sent')
    })
    armPmax(obs)
  }

  const armPmax = (obs: Observation): void => {
    clearTimeout(obs.pmaxTimer)
    obs.pmaxTimer = undefined
    const { pmax, pmin } = obs.paths ? compositePeriods(obs.paths) : effective(obs.path)
    if (pmax === undefined || pmax <= 0 || (pmin !== undefined && pmax < pmin)) return
    const wait = Math.max(0, obs.lastAt + pmax * 1000 - Date.now())
    obs.pmaxTimer = setTimeout(() => send(obs), wait)
    obs.pmaxTimer.unref?.()
  }

  /** The periods of a composite observation: the smallest pmax of its paths, the smallest pmin. */
  const compositePeriods = (paths: readonly LwM2mPath[]): EffectiveAttributes => {
    const all = paths.map(effective)
    const least = (xs: Array<number | undefined>) => {
      const set = xs.filter((x): x is number => x !== undefined && x > 0)
      return set.length === 0 ? undefined : Math.min(...set)
    }
    const pmax = least(all.map((a) => a.pmax))
    const pmin = least(all.map((a) => a.pmin))
    return { ...(pmax !== undefined && { pmax }), ...(pmin !== undefined && { pmin }) }
  }

  /** Whether a numeric change passes gt/lt/st (any change passes when none is set). */
  const passes = (obs: Observation): boolean => {
    if (obs.paths) return true
    const { gt, lt, st } = effective(obs.path)
    if (gt === undefined && lt === undefined && st === undefined) return true
    const now = o.content.numeric(obs.path)
    const before = obs.lastValue
    if (now === undefined || before === undefined) return true
    if (gt !== undefined && before <= gt !== now <= gt) return true
    if (lt !== undefined && before < lt !== now < lt) return true
    if (st !== undefined && Math.abs(now - before) >= st) return true
    return false
  }

  const remove = (obs: Observation): void => {
    clearTimeout(obs.pending)
    clearTimeout(obs.pmaxTimer)
    const i = list.indexOf(obs)
    if (i >= 0) list.splice(i, 1)
  }

  return {
    add(path, format, relation) {
      const obs: Observation = { path, format, relation, lastAt: Date.now(), lastValue: o.content.numeric(path) }
      list.push(obs)
      relation.onClose(() => remove(obs))
      armPmax(obs)
    },
    addComposite(paths, format, relation) {
      const obs: Observation = { path: paths[0]!, paths, format, relation, lastAt: Date.now() }
      list.push(obs)
      relation.onClose(() => remove(obs))
      armPmax(obs)
    },
    changed(path) {
      for (const obs of [...list]) {
        // The observed path the change concerns (of a composite one, the first that does).
        const concerned = (obs.paths ?? [obs.path]).find((p) => isPathWithin(path, p) || isPathWithin(p, path))
        if (concerned === undefined) continue
        if (obs.pending || !passes(obs)) continue
        const { pmin } = effective(concerned)
        const wait = pmin ? obs.lastAt + pmin * 1000 - Date.now() : 0
        if (wait <= 0) send(obs)
        else {
          obs.pending = setTimeout(() => send(obs), wait)
          obs.pending.unref?.()
        }
      }
    },
    attributesChanged(path) {
      for (const obs of list) if ((obs.paths ?? [obs.path]).some((p) => isPathWithin(p, path))) armPmax(obs)
    },
    clear() {
      for (const obs of [...list]) {
        remove(obs)
        obs.relation.close()
      }
    },
    get size() {
      return list.length
    },
  }
}
