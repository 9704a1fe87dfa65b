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
  /** The numeric value of a single resource path, for gt/lt/st; undefined otherwise. */
  numeric(path: LwM2mPath): number | undefined
}

interface Observation {
  readonly path: LwM2mPath
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
    obs.lastValue = o.content.numeric(obs.path)
    obs.relation.notify(o.content.response(obs.path, obs.format)).catch((err: unknown) => {
      o.logger.debug({ err, path: formatPath(obs.path) }, 'notification not sent')
    })
    armPmax(obs)
  }

  const armPmax = (obs: Observation): void => {
    clearTimeout(obs.pmaxTimer)
    obs.pmaxTimer = undefined
    const { pmax, pmin } = effective(obs.path)
    if (pmax === undefined || pmax <= 0 || (pmin !== undefined && pmax < pmin)) return
    const wait = Math.max(0, obs.lastAt + pmax * 1000 - Date.now())
    obs.pmaxTimer = setTimeout(() => send(obs), wait)
    obs.pmaxTimer.unref?.()
  }

  /** Whether a numeric change passes gt/lt/st (any change passes when none is set). */
  const passes = (obs: Observation): boolean => {
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
    changed(path) {
      for (const obs of [...list]) {
        if (!isPathWithin(path, obs.path) && !isPathWithin(obs.path, path)) continue
        if (obs.pending || !passes(obs)) continue
        const { pmin } = effective(obs.path)
        const wait = pmin ? obs.lastAt + pmin * 1000 - Date.now() : 0
        if (wait <= 0) send(obs)
        else {
          obs.pending = setTimeout(() => send(obs), wait)
          obs.pending.unref?.()
        }
      }
    },
    attributesChanged(path) {
      for (const obs of list) if (isPathWithin(obs.path, path)) armPmax(obs)
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
