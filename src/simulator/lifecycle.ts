/**
 * The step machinery of one device: its state (reported as 'state' events), a queue that runs
 * lifecycle steps one at a time (a timer's update never interleaves with a register), and the
 * retry backoff with an interruptible sleep that stop() ends at once.
 */
import type { TypedEmitter } from './emitter.js'
import type { DeviceEvents, DeviceState, DeviceTimers } from './device-types.js'

export interface Lifecycle {
  readonly state: DeviceState
  /** Moves to `next` (no-op when unchanged, or once stopped) and emits 'state'. */
  setState(next: DeviceState): void
  /** True once stop() began. */
  readonly stopped: boolean
  /** Marks the device stopped, ends a pending sleep, and reports 'stopped'. */
  markStopping(): void
  markStopped(): void
  /** Runs `fn` after every step queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T>
  /** Waits `ms` (unref'd); ended early by markStopping(). */
  sleep(ms: number): Promise<void>
  /** Delay before retry `attempt` (0-based): doubling from retryDelayMs, capped at maxRetryDelayMs. */
  backoff(attempt: number): number
}

/** Creates the lifecycle of a device in state 'idle'. */
export function createLifecycle(timers: DeviceTimers, events: TypedEmitter<DeviceEvents>): Lifecycle {
  let state: DeviceState = 'idle'
  let stopped = false
  let queue: Promise<unknown> = Promise.resolve()
  let sleeper: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined
  return {
    get state() {
      return state
    },
    setState(next) {
      if (state === next || state === 'stopped') return
      state = next
      events.emit('state', next)
    },
    get stopped() {
      return stopped
    },
    markStopping() {
      stopped = true
      if (sleeper) {
        clearTimeout(sleeper.timer)
        sleeper.resolve()
      }
    },
    markStopped() {
      state = 'stopped'
      events.emit('state', 'stopped')
    },
    serial(fn) {
      const run = queue.then(fn, fn)
      queue = run.catch(() => undefined)
      return run
    },
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          sleeper = undefined
          resolve()
        }, ms)
        timer.unref?.()
        sleeper = { timer, resolve }
      }),
    backoff: (attempt) => Math.min((timers.retryDelayMs ?? 1000) * 2 ** attempt, timers.maxRetryDelayMs ?? 60_000),
  }
}
