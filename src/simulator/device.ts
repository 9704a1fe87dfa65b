/**
 * A simulated LwM2M 1.1 (or 1.0) device: client-initiated bootstrap, registration with periodic
 * updates, and the Device Management requests of the server it registered with, all over our own
 * DTLS/CoAP transport. Small per device, so `lwchain simulate` can run many in one process.
 *
 * This file composes the parts, one concept each: lifecycle.ts (state, step queue, backoff),
 * device-objects.ts (object tree, observations, request handling), device-bootstrap.ts,
 * device-registration.ts (register / update / de-register over the DM session) and
 * device-recovery.ts (start attempts, recovery after a lost session).
 */
import type { Logger } from '../logger.js'
import { silentLogger } from '../logger.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { encodeTimedNodes, type TimedNode } from '../lwm2m/codec/timed-values.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import { formatPath, parsePath, type LwM2mPath } from '../lwm2m/path.js'
import { setTemperature } from './default-objects.js'
import { createDeviceBootstrap } from './device-bootstrap.js'
import { createDeviceObjects } from './device-objects.js'
import { createDeviceRecovery } from './device-recovery.js'
import { createDeviceRegistration } from './device-registration.js'
import type { Device, DeviceEvents, DeviceOptions } from './device-types.js'
import { createEmitter } from './emitter.js'
import { DeviceError } from './errors.js'
import { executeResource } from './executable.js'
import { createLifecycle } from './lifecycle.js'
import { validateDeviceOptions } from './options.js'

export type { Device, DeviceEvents, DeviceOptions, DeviceRequestEvent, DeviceState, DeviceTimers } from './device-types.js'

let sharedSilent: Logger | undefined

/** Creates a device (nothing is sent until start()). Throws DeviceError on invalid options. */
export function createDevice(o: DeviceOptions): Device {
  validateDeviceOptions(o)
  const version = o.lwm2mVersion ?? '1.1'
  const models = o.models ?? loadDefaultModels()
  const logger = o.logger ? o.logger.child({ endpoint: o.endpoint }) : (sharedSilent ??= silentLogger())
  const timers = o.timers ?? {}
  const events = createEmitter<DeviceEvents>((err) => logger.error({ err }, 'device event listener threw'))
  const lifecycle = createLifecycle(timers, events)
  const sessionTimers = { ackTimeoutMs: timers.ackTimeoutMs, maxRetransmit: timers.maxRetransmit, handshakeTimeoutMs: timers.handshakeTimeoutMs }

  const execute = (path: LwM2mPath, args: string | undefined): string => {
    // Arguments are logged, not interpreted.
    logger.info({ path: formatPath(path), ...(args && { args }) }, 'execute')
    return executeResource(objects.tree, path, {
      update: () => void lifecycle.serial(registration.update).catch((err) => recovery.onError('update trigger', err)),
      bootstrap: () => void rebootstrap(),
      // Reboot: come back as a fresh registration.
      reboot: () =>
        void lifecycle
          .serial(async () => {
            await registration.deregister()
            await registration.register()
          })
          .catch((err) => recovery.onError('reboot', err)),
    })
  }

  const objects = createDeviceObjects({ options: o, version, models, logger, events, execute })
  const recovery = createDeviceRecovery({ logger, timers, lifecycle, objects, steps: () => ({ registration, bootstrap }) })
  const registration = createDeviceRegistration({
    options: o,
    version,
    logger,
    events,
    lifecycle,
    objects,
    timers: sessionTimers,
    onError: (what, err) => recovery.onError(what, err),
    onLost: (reason) => void recovery.recover(reason),
  })
  const bootstrap = createDeviceBootstrap({
    options: o,
    models,
    logger,
    events,
    lifecycle,
    objects,
    timers: { ...sessionTimers, bootstrapTimeoutMs: timers.bootstrapTimeoutMs },
  })

  /** Bootstrap-Request Trigger: leave the current server, bootstrap, register with the new one. */
  const rebootstrap = async (): Promise<void> => {
    try {
      await lifecycle.serial(async () => {
        await registration.deregister(timers.stopTimeoutMs ?? 2000)
        await bootstrap.bootstrap()
        await registration.register()
      })
    } catch (err) {
      recovery.onError('bootstrap trigger', err)
    }
  }

  let driftTimer: ReturnType<typeof setInterval> | undefined
  if (timers.temperatureDriftMs) {
    const ms = timers.temperatureDriftMs
    const drift = (): void => {
      const v = objects.tree.value(3303, 0, 5700)
      if (typeof v === 'number') setTemperature(objects.tree, 0, Math.round((v + (Math.random() - 0.5)) * 10) / 10)
    }
    // Started at the first registration, so that an unstarted device holds no timer.
    events.on('registered', () => {
      driftTimer ??= setInterval(drift, ms)
      driftTimer.unref?.()
    })
  }

  return {
    start: () => recovery.start(),
    async stop() {
      if (lifecycle.stopped) return
      lifecycle.markStopping()
      clearInterval(driftTimer)
      registration.cancelTimers()
      bootstrap.abort(new DeviceError('LWC_DEVICE_STOPPED', 'device stopped during bootstrap'))
      await registration.deregister(timers.stopTimeoutMs ?? 2000)
      lifecycle.markStopped()
    },
    bootstrap: () => lifecycle.serial(bootstrap.bootstrap),
    register: () => lifecycle.serial(registration.register),
    update: () => lifecycle.serial(registration.update),
    deregister: () => lifecycle.serial(() => registration.deregister()),
    get state() {
      return lifecycle.state
    },
    get registrationLocation() {
      const location = registration.location
      return location ? '/' + location.join('/') : undefined
    },
    temperature(value) {
      if (value !== undefined) {
        if (!Number.isFinite(value)) throw new DeviceError('LWC_DEVICE_OPTIONS', `temperature ${value} is not a finite number`)
        setTemperature(objects.tree, 0, value)
      }
      return objects.tree.value(3303, 0, 5700) as number
    },
    send(paths, opts = {}) {
      const time = opts.time ?? Math.floor(Date.now() / 1000)
      const nodes: TimedNode[] = paths.map((text) => {
        const path = parsePath(text)
        const read = objects.tree.read(path, 'server')
        if (!('node' in read)) throw new DeviceError('LWC_DEVICE_OPTIONS', `${text} cannot be read (${read.code})`)
        return { path, node: read.node, time }
      })
      const format = opts.format ?? ContentFormat.SENML_CBOR
      return registration.send(format, encodeTimedNodes(format, nodes))
    },
    on: (event, listener) => events.on(event, listener),
  }
}
