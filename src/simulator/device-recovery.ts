/**
 * How a device gets (back) to 'registered': the start attempts, and recovery after a lost
 * session or a failed step (bounded retries with backoff: register again, then bootstrap again,
 * then give up as 'failed'). A server that answers "no" will not change its mind, so a refusal
 * goes straight back to bootstrap.
 */
import type { Logger } from '../logger.js'
import { bootstrapAccount, serverAccounts } from './default-objects.js'
import type { DeviceBootstrap } from './device-bootstrap.js'
import type { DeviceObjects } from './device-objects.js'
import type { DeviceRegistration } from './device-registration.js'
import type { DeviceTimers } from './device-types.js'
import { DeviceError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'

export interface DeviceRecovery {
  /** Bootstraps if there is no server account (or the server refused), then registers; bounded attempts. */
  start(): Promise<void>
  /** Recovers after `reason`: register again, then bootstrap again, else 'failed'. */
  recover(reason: string): Promise<void>
  /** Logs a failed step and recovers (unless stopping). */
  onError(what: string, err: unknown): void
}

export interface DeviceRecoveryOptions {
  logger: Logger
  timers: DeviceTimers
  lifecycle: Lifecycle
  objects: DeviceObjects
  /** Late-bound: registration and bootstrap are created after recovery (they report to it). */
  steps: () => { registration: DeviceRegistration; bootstrap: DeviceBootstrap }
}

/** Creates the start and recovery logic of a device. */
export function createDeviceRecovery(d: DeviceRecoveryOptions): DeviceRecovery {
  const { logger, timers, lifecycle } = d
  const { tree } = d.objects
  let recovering = false

  const recover = async (reason: string): Promise<void> => {
    if (recovering || lifecycle.stopped) return
    recovering = true
    const { registration, bootstrap } = d.steps()
    try {
      await registration.close()
      const attempts = timers.retryAttempts ?? 3
      for (let i = 0; i < attempts && !lifecycle.stopped; i++) {
        await lifecycle.sleep(lifecycle.backoff(i))
        if (lifecycle.stopped) return
        try {
          await lifecycle.serial(registration.register)
          return
        } catch (err) {
          logger.info({ reason, attempt: i + 1, err: (err as Error).message }, 'register again failed')
          // A server that answers "no" will not change its mind: go back to bootstrap.
          if (err instanceof DeviceError && err.coapCode !== undefined) break
        }
      }
      if (bootstrapAccount(tree)) {
        for (let i = 0; i < attempts && !lifecycle.stopped; i++) {
          await lifecycle.sleep(lifecycle.backoff(attempts + i))
          if (lifecycle.stopped) return
          try {
            await lifecycle.serial(async () => {
              await bootstrap.bootstrap()
              await registration.register()
            })
            return
          } catch (err) {
            logger.info({ reason, attempt: i + 1, err: (err as Error).message }, 'bootstrap again failed')
          }
        }
      }
      if (!lifecycle.stopped) {
        logger.warn({ reason }, 'giving up: device failed')
        lifecycle.setState('failed')
      }
    } finally {
      recovering = false
    }
  }

  return {
    recover,
    onError(what, err) {
      if (lifecycle.stopped) return
      logger.warn({ err: (err as Error).message, what }, 'lifecycle step failed')
      void recover(what)
    },
    start() {
      if (lifecycle.stopped) return Promise.reject(new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped'))
      const { registration, bootstrap } = d.steps()
      return lifecycle.serial(async () => {
        const attempts = timers.retryAttempts ?? 3
        let forceBootstrap = false
        let last: unknown
        for (let i = 0; i < attempts && !lifecycle.stopped; i++) {
          try {
            if (forceBootstrap || serverAccounts(tree).length === 0) await bootstrap.bootstrap()
            await registration.register()
            return
          } catch (err) {
            last = err
            logger.info({ attempt: i + 1, err: (err as Error).message }, 'start attempt failed')
            // A server that refuses or cannot be reached sends us back to bootstrap, when we can.
            if (!bootstrapAccount(tree)) break
            forceBootstrap = true
            if (i + 1 < attempts) await lifecycle.sleep(lifecycle.backoff(i))
          }
        }
        if (!lifecycle.stopped) lifecycle.setState('failed')
        throw last instanceof DeviceError ? last : new DeviceError('LWC_DEVICE_STOPPED', 'device stopped while starting', { cause: last })
      })
    },
  }
}
