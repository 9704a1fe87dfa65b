/**
 * Read-your-writes for logins: a user that `lwchain user add` just wrote may not be in the
 * server's chain view yet (it polls). On a miss the login asks the view for one sync round that
 * starts after the miss (so it reads the block the write landed in), then looks again. Rounds are
 * shared by every miss waiting for one, start at most once per `minIntervalMs` (a flood of unknown
 * names costs the RPC one round per interval, not one per request), and the wait is capped at
 * `timeoutMs`; a failed or late round is a miss.
 */
import type { UserView } from '../../chain/view/types.js'

export interface ReadThroughOptions {
  /** One sync round of the view (ChainView.syncNow). */
  refresh: () => Promise<void>
  /** Least time between the starts of two rounds; default 250 ms. */
  minIntervalMs?: number
  /** Longest a login waits for its round; default 3,000 ms. */
  timeoutMs?: number
  now?: () => number
}

/** Looks an account up, reading the chain once when the view does not have it. */
export type ReadThroughLookup = (account: string, lookup: (account: string) => UserView | undefined) => Promise<UserView | undefined>

/** Rounds started so far (for tests and metrics). */
export interface ReadThrough {
  lookup: ReadThroughLookup
  rounds(): number
}

/** Creates the read-through (the caller's lookup reads the view; the refresh brings it up to date). */
export function createReadThrough(o: ReadThroughOptions): ReadThrough {
  const minIntervalMs = o.minIntervalMs ?? 250
  const timeoutMs = o.timeoutMs ?? 3_000
  const now = o.now ?? Date.now
  let lastStart = -Infinity
  let rounds = 0
  /** The round not started yet that new misses join (it starts after all of them). */
  let pending: Promise<void> | undefined

  const nextRound = (): Promise<void> => {
    if (pending) return pending
    const wait = Math.max(0, lastStart + minIntervalMs - now())
    pending = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        pending = undefined
        lastStart = now()
        rounds++
        o.refresh().then(resolve, reject)
      }, wait).unref?.()
    })
    return pending
  }

  return {
    async lookup(account, lookup) {
      const found = lookup(account)
      if (found) return found
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs)
        timer.unref?.()
      })
      try {
        const round = nextRound()
        round.catch(() => {})
        if ((await Promise.race([round.then(() => 'done' as const), late])) === 'late') return undefined
      } catch {
        return undefined
      } finally {
        clearTimeout(timer)
      }
      return lookup(account)
    },
    rounds: () => rounds,
  }
}

