import type { Registration } from './registration.js'
import type { RegistrationStore } from './registration-store.js'

/** A running expiry sweep; stop() clears its timer. */
export interface ExpirySweeper {
  /** Runs one sweep now; returns the registrations found expired. */
  sweep(): Registration[]
  stop(): void
}

/**
 * Starts a timer that finds registrations whose lifetime ran out and hands each to `onExpired`
 * (which removes it). A sweep rather than one timer per client keeps 10 000 clients cheap.
 */
export function startExpirySweeper(o: {
  store: RegistrationStore
  intervalMs: number
  onExpired: (reg: Registration) => void
  now?: () => number
}): ExpirySweeper {
  const now = o.now ?? Date.now
  const sweep = (): Registration[] => {
    const expired = o.store.expired(now())
    for (const reg of expired) o.onExpired(reg)
    return expired
  }
  const timer = setInterval(sweep, o.intervalMs)
  timer.unref()
  return { sweep, stop: () => clearInterval(timer) }
}
