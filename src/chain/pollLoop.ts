import type { Logger } from '../logger.js'
import { toChainError } from './toChainError.js'
import type { ViewLag } from './view/types.js'

export interface PollLoopOptions {
  /** One sync round; a rejection marks the loop unhealthy until a round succeeds. */
  round: () => Promise<void>
  pollIntervalMs: number
  /** Names the follower in log lines ("<label> back in sync", "<label> sync failed: ..."). */
  label: string
  /** Used only to redact messages. */
  rpcUrl?: string
  logger?: Logger
  /** Runs inside the round after a success (e.g. release waiters, persist a cursor). */
  onSuccess?: () => void
}

export interface PollHealth {
  healthy: boolean
  lastError?: string
  lastSuccessAt?: number
}

/** A chain follower's polling: one round in flight, health tracking, unref'd timers. */
export interface PollLoop {
  /**
   * A round that starts after this call; rejects with a typed chain error. With a round in flight
   * it runs one more once that ends (shared by every call made meanwhile), so what the caller
   * wrote before calling is seen: a round in flight may have read the head before that write.
   */
  syncNow(): Promise<void>
  /** Starts polling (a round every pollIntervalMs after the previous one ends); no-op if running. */
  start(): void
  /** Stops polling and waits for the round in flight, if any. */
  stop(): Promise<void>
  running(): boolean
  /** Changes the period; a shorter one takes effect now, a longer one after the pending wait. */
  setPollInterval(ms: number): void
  health(): PollHealth
  /** The follower's lag, given the head it saw last and the block it has applied up to. */
  lag(lastSeenHead: bigint | undefined, syncedBlock: bigint | undefined): ViewLag
}

/**
 * Creates the loop shared by the chain view and the anomaly batch follower. A failure is logged
 * once per distinct message, and recovery once, so an outage does not flood the log.
 */
export function createPollLoop(o: PollLoopOptions): PollLoop {
  let lastError: string | undefined
  let lastSuccessAt: number | undefined
  let healthy = false
  let running = false
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  let next: Promise<void> | undefined
  let pollIntervalMs = o.pollIntervalMs
  let dueAt = 0

  const syncNow = (): Promise<void> => {
    if (inFlight) {
      next ??= inFlight
        .catch(() => undefined)
        .then(() => {
          next = undefined
          return syncNow()
        })
      return next
    }
    inFlight = (async () => {
      try {
        await o.round()
        if (!healthy && lastError) o.logger?.info(`${o.label} back in sync`)
        healthy = true
        lastError = undefined
        lastSuccessAt = Date.now()
        o.onSuccess?.()
      } catch (err) {
        const e = toChainError(err, { rpcUrl: o.rpcUrl })
        if (healthy || lastError !== e.shortMessage) o.logger?.warn({ code: e.code }, `${o.label} sync failed: ${e.shortMessage}`)
        healthy = false
        lastError = e.shortMessage
        throw e
      } finally {
        inFlight = undefined
      }
    })()
    return inFlight
  }

  const schedule = (delay = pollIntervalMs): void => {
    if (!running) return
    dueAt = Date.now() + delay
    timer = setTimeout(() => {
      timer = undefined
      syncNow()
        .catch(() => undefined)
        .finally(() => schedule())
    }, delay)
    timer.unref?.()
  }

  return {
    syncNow,
    start() {
      if (running) return
      running = true
      schedule()
    },
    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      await inFlight?.catch(() => undefined)
    },
    running: () => running,
    setPollInterval(ms) {
      const shorter = ms < pollIntervalMs
      pollIntervalMs = ms
      // Only a waiting timer is moved: a round in flight reschedules itself when it ends.
      if (shorter && running && timer) {
        clearTimeout(timer)
        schedule(Math.max(0, Math.min(ms, dueAt - Date.now())))
      }
    },
    health: () => ({ healthy, lastError, lastSuccessAt }),
    lag(lastSeenHead, syncedBlock) {
      const behind = lastSeenHead !== undefined && syncedBlock !== undefined ? Number(lastSeenHead - syncedBlock) : 0
      return {
        behindBlocks: Math.max(0, behind),
        lastSyncedBlock: syncedBlock !== undefined ? Number(syncedBlock) : undefined,
        lastSeenHead: lastSeenHead !== undefined ? Number(lastSeenHead) : undefined,
        lastError,
        sinceMs: lastSuccessAt === undefined ? Infinity : Date.now() - lastSuccessAt,
        healthy,
      }
    },
  }
}
