/**
 * The client-initiated bootstrap of a device (bootstrap-client.ts does the exchange): the step
 * that moves it through 'bootstrapping' to 'bootstrapped', and can be aborted by stop().
 */
import type { Logger } from '../logger.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { runClientBootstrap, type BootstrapRun } from './bootstrap-client.js'
import { bootstrapAccount } from './default-objects.js'
import type { DeviceObjects } from './device-objects.js'
import type { DeviceEvents, DeviceOptions, DeviceTimers } from './device-types.js'
import type { TypedEmitter } from './emitter.js'
import { DeviceError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'

export interface DeviceBootstrap {
  /** Bootstraps with the Bootstrap-Server account; resolves after Bootstrap-Finish. */
  bootstrap(): Promise<void>
  /** Ends a bootstrap in progress with `reason`. */
  abort(reason: Error): void
}

export interface DeviceBootstrapOptions {
  options: DeviceOptions
  models: ModelRegistry
  logger: Logger
  events: TypedEmitter<DeviceEvents>
  lifecycle: Lifecycle
  objects: DeviceObjects
  timers: Pick<DeviceTimers, 'ackTimeoutMs' | 'maxRetransmit' | 'handshakeTimeoutMs' | 'bootstrapTimeoutMs'>
}

/** Creates the bootstrap step of a device. */
export function createDeviceBootstrap(d: DeviceBootstrapOptions): DeviceBootstrap {
  const { options: o, logger, lifecycle, objects } = d
  let running: BootstrapRun | undefined
  return {
    async bootstrap() {
      if (lifecycle.stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
      const account = bootstrapAccount(objects.tree)
      if (!account) throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `${o.endpoint} has no bootstrap server account`)
      lifecycle.setState('bootstrapping')
      const run = runClientBootstrap({
        account,
        endpoint: o.endpoint,
        preferredContentFormat: o.preferredContentFormat,
        tryPack: o.tryBootstrapPack,
        ctx: objects.ctx,
        models: d.models,
        logger,
        timers: d.timers,
        answer: (kind, path, res) => objects.report('bootstrap', kind, path, res),
      })
      running = run
      try {
        await run.done
      } catch (err) {
        lifecycle.setState('idle')
        throw err
      } finally {
        running = undefined
      }
      lifecycle.setState('bootstrapped')
      logger.info('bootstrapped')
      d.events.emit('bootstrapped')
    },
    abort(reason) {
      running?.abort(reason)
    },
  }
}
