/**
 * The registration interface of a device with its LwM2M server: Register over a fresh session
 * (offering 1.2 first when asked), Updates at 3/4 of the lifetime and right after a structural
 * change (sending only what changed), and De-register. It owns the DM session and the location.
 */
import type { Logger } from '../logger.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import { serverAccounts } from './default-objects.js'
import type { DeviceObjects } from './device-objects.js'
import type { DeviceEvents, DeviceOptions, DeviceTimers } from './device-types.js'
import type { TypedEmitter } from './emitter.js'
import { DeviceError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'
import { registerQuery, registrationLinks } from './registration.js'
import { openSession, type Session } from './session.js'

export interface DeviceRegistration {
  register(): Promise<void>
  update(): Promise<void>
  /** De-registers (best effort, bounded by `timeoutMs` when given) and closes the session. */
  deregister(timeoutMs?: number): Promise<void>
  /** Drops the session, observations and timers without telling the server. */
  close(): Promise<void>
  /** Stops the periodic update timer. */
  cancelTimers(): void
  /** Location-Path the server gave, e.g. ["rd", "5"]. */
  readonly location: readonly string[] | undefined
  /** LwM2M 1.1 Send: POSTs a SenML payload to /dp over the DM session; resolves with the server's code. */
  send(format: number, payload: Uint8Array): Promise<string>
}

export interface DeviceRegistrationOptions {
  options: DeviceOptions
  version: '1.0' | '1.1'
  logger: Logger
  events: TypedEmitter<DeviceEvents>
  lifecycle: Lifecycle
  objects: DeviceObjects
  timers: Pick<DeviceTimers, 'ackTimeoutMs' | 'maxRetransmit' | 'handshakeTimeoutMs'>
  /** A step run by a timer or a change failed: the device recovers. */
  onError: (what: string, err: unknown) => void
  /** The server closed the session: the device recovers. */
  onLost: (reason: string) => void
}

/** Creates the registration interface of a device (nothing is sent until register()). */
export function createDeviceRegistration(d: DeviceRegistrationOptions): DeviceRegistration {
  const { options: o, logger, events, lifecycle, objects } = d
  const { tree, observations } = objects
  const endpoint = o.endpoint
  let dm: Session | undefined
  let location: string[] | undefined
  /** What the server last heard: lifetime and object links, to send only what changed. */
  let announced: { lifetime: number; links: string } | undefined
  let promptUpdate = false
  let updateTimer: ReturnType<typeof setTimeout> | undefined

  const registrationPayload = (): string => registrationLinks(tree, d.version)

  const requestPromptUpdate = (): void => {
    if (promptUpdate) return
    promptUpdate = true
    setImmediate(() => {
      promptUpdate = false
      const lifetime = serverAccounts(tree)[0]?.lifetime ?? o.lifetime ?? 300
      if (lifecycle.state !== 'registered' || (announced?.lifetime === lifetime && announced.links === registrationPayload())) return
      void lifecycle.serial(update).catch((err) => d.onError('update after a change', err))
    })
  }

  tree.onChange((path) => {
    observations.changed(path)
    // A new or deleted instance, or a new lifetime, is announced with an Update right away.
    const structural = path.resourceId === undefined && path.objectId !== 0 && path.objectId !== undefined
    if (lifecycle.state === 'registered' && (structural || (path.objectId === 1 && path.resourceId === 1))) requestPromptUpdate()
  })

  const cancelTimers = (): void => {
    clearTimeout(updateTimer)
    updateTimer = undefined
  }

  const close = async (): Promise<void> => {
    cancelTimers()
    observations.clear()
    location = undefined
    const s = dm
    dm = undefined
    await s?.close()
  }

  const register = async (): Promise<void> => {
    if (lifecycle.stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
    const account = serverAccounts(tree)[0]
    if (!account) throw new DeviceError('LWC_DEVICE_NO_SERVER', `${endpoint} has no LwM2M server account`)
    lifecycle.setState('registering')
    await close()
    let session: Session
    try {
      session = await openSession(account, objects.dmHandler, { logger, timers: d.timers })
    } catch (err) {
      lifecycle.setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', `cannot reach the LwM2M server ${account.uri}`, { cause: err, details: (err as Error).message })
    }
    const lifetime = account.lifetime ?? o.lifetime ?? 300
    const links = registrationPayload()
    let code = ''
    try {
      // Offering 1.2 first, as newer clients do, and taking 4.12/4.00 as "speak 1.1".
      for (const offered of o.offerLwm2m12 ? (['1.2', d.version] as const) : [d.version]) {
        const query = registerQuery(endpoint, lifetime, offered)
        const res = await session.request({ method: 'POST', path: ['rd'], query, contentFormat: ContentFormat.LINK, payload: links })
        code = res.code
        if (code === '2.01' && res.locationPath.length > 0) location = [...res.locationPath]
        if (offered !== '1.2' || (code !== '4.12' && code !== '4.00')) break
        logger.debug({ code }, 'LwM2M 1.2 refused: registering as ' + d.version)
      }
    } catch (err) {
      await session.close()
      lifecycle.setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', 'registration not answered', { cause: err, details: (err as Error).message })
    }
    if (!location) {
      await session.close()
      lifecycle.setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', `registration refused with ${code}`, { coapCode: code })
    }
    if (lifecycle.stopped) {
      // stop() ran while we registered: leave again at once.
      await session.request({ method: 'DELETE', path: location }).catch(() => undefined)
      location = undefined
      await session.close()
      throw new DeviceError('LWC_DEVICE_STOPPED', 'device stopped during registration')
    }
    dm = session
    announced = { lifetime, links }
    session.onLost(() => {
      if (dm !== session) return
      logger.warn('the LwM2M server closed the session')
      dm = undefined
      d.onLost('session closed')
    })
    scheduleUpdate(lifetime)
    lifecycle.setState('registered')
    const where = '/' + location.join('/')
    logger.info({ location: where, server: account.uri }, 'registered')
    events.emit('registered', { location: where, serverUri: account.uri })
  }

  const scheduleUpdate = (lifetime: number): void => {
    clearTimeout(updateTimer)
    // Update at about 3/4 of the lifetime, so it lands well before the server expires us.
    updateTimer = setTimeout(() => {
      updateTimer = undefined
      void lifecycle.serial(update).catch((err) => d.onError('periodic update', err))
    }, Math.max(500, lifetime * 750))
    updateTimer.unref?.()
  }

  const update = async (): Promise<void> => {
    if (lifecycle.stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
    const session = dm
    if (!session || !location) throw new DeviceError('LWC_DEVICE_UPDATE_FAILED', `${endpoint} is not registered`)
    // Only what changed since the server last heard from us: lifetime, object links.
    const lifetime = serverAccounts(tree)[0]?.lifetime ?? o.lifetime ?? 300
    const links = registrationPayload()
    const query = announced?.lifetime === lifetime ? [] : [`lt=${lifetime}`]
    const payload = announced?.links === links ? {} : { contentFormat: ContentFormat.LINK, payload: links }
    let code: string
    try {
      code = (await session.request({ method: 'POST', path: location, ...(query.length > 0 && { query }), ...payload })).code
    } catch (err) {
      throw new DeviceError('LWC_DEVICE_UPDATE_FAILED', 'update not answered', { cause: err, details: (err as Error).message })
    }
    if (code === '2.04') {
      announced = { lifetime, links }
      scheduleUpdate(lifetime)
      logger.debug('registration updated')
      events.emit('updated')
      return
    }
    if (code === '4.04') {
      // The server forgot us (expired, restarted): register afresh.
      logger.info('update answered 4.04: registering again')
      return register()
    }
    throw new DeviceError('LWC_DEVICE_UPDATE_FAILED', `update refused with ${code}`, { coapCode: code })
  }

  const deregister = async (timeoutMs?: number): Promise<void> => {
    const session = dm
    const where = location
    cancelTimers()
    if (session && where && !session.closed) {
      const req = session.request({ method: 'DELETE', path: where })
      const limit = timeoutMs === undefined ? undefined : new Promise<void>((r) => setTimeout(r, timeoutMs).unref?.())
      await (limit ? Promise.race([req, limit]) : req).catch((err: Error) => logger.debug({ err: err.message }, 'de-register not answered'))
    }
    const wasRegistered = where !== undefined
    await close()
    if (!lifecycle.stopped) lifecycle.setState('idle')
    if (wasRegistered) {
      logger.info('deregistered')
      events.emit('deregistered')
    }
  }

  return {
    register,
    update,
    deregister,
    close,
    cancelTimers,
    get location() {
      return location
    },
    async send(format, payload) {
      const session = dm
      if (!session || !location || session.closed) throw new DeviceError('LWC_DEVICE_NOT_REGISTERED', 'send needs a registration')
      return (await session.request({ method: 'POST', path: ['dp'], contentFormat: format, payload })).code
    },
  }
}
