/**
 * A simulated LwM2M 1.1 (or 1.0) device: client-initiated bootstrap, registration with periodic
 * updates, and the Device Management requests of the server it registered with, all over our own
 * DTLS/CoAP transport. Small per device, so `lwchain simulate` can run many in one process.
 */
import type { Logger } from '../logger.js'
import { silentLogger } from '../logger.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { encodeTimedNodes, type TimedNode } from '../lwm2m/codec/timed-values.js'
import { formatPath, parsePath, type LwM2mPath } from '../lwm2m/path.js'
import { parseLwM2mRequest, toCoapResponse, type DeviceResponse } from '../lwm2m/request/device-side.js'
import type { CoapRequestHandler, CoapResponseInit } from '../transport/index.js'
import { createAttributeStore } from './attributes-store.js'
import { runClientBootstrap, type BootstrapRun } from './bootstrap-client.js'
import {
  BOOTSTRAP_SECURITY_INSTANCE,
  DIRECT_SSID,
  bootstrapAccount,
  serverAccounts,
  setTemperature,
  writeDeviceObject,
  writeSecurityInstance,
  writeServerInstance,
  writeTemperatureObject,
  type ServerAccount,
} from './default-objects.js'
import { createEmitter } from './emitter.js'
import { DeviceError } from './errors.js'
import { executeResource } from './executable.js'
import { createObjectTree } from './object-tree.js'
import { createObservations } from './observations.js'
import { validateDeviceOptions } from './options.js'
import { registerQuery, registrationLinks } from './registration.js'
import { contentResponse, serveDm, type ServeContext } from './serve.js'
import { openSession, type Session } from './session.js'

/** Timers of a device; tests use short ones. */
export interface DeviceTimers {
  /** CoAP ACK_TIMEOUT; default 2000 ms. */
  ackTimeoutMs?: number
  /** CoAP MAX_RETRANSMIT; default 4. */
  maxRetransmit?: number
  /** DTLS handshake timeout; default 5000 ms. */
  handshakeTimeoutMs?: number
  /** How long to wait for Bootstrap-Finish after `POST /bs`; default 30 000 ms. */
  bootstrapTimeoutMs?: number
  /** First delay of the retry backoff (doubles per attempt); default 1000 ms. */
  retryDelayMs?: number
  /** Largest retry delay; default 60 000 ms. */
  maxRetryDelayMs?: number
  /** Attempts per phase (register, then bootstrap) before giving up; default 3. */
  retryAttempts?: number
  /** How long stop() waits for the De-register answer; default 2000 ms. */
  stopTimeoutMs?: number
  /** When set, the temperature drifts (random walk of ±0.5 °C) at this interval. */
  temperatureDriftMs?: number
}

/** Options of `createDevice`. */
export interface DeviceOptions {
  endpoint: string
  /** Bootstrap server account: coaps://host:port (or coap:// for development). */
  bootstrap?: ServerAccount
  /** LwM2M server account; when given, the device skips bootstrap and registers directly. */
  server?: ServerAccount
  /** Default 1.1. */
  lwm2mVersion?: '1.0' | '1.1'
  /** Registration lifetime in seconds when no Server instance says otherwise; default 300. */
  lifetime?: number
  /** Sent as `pct=` on the bootstrap request. */
  preferredContentFormat?: number
  /** Register with `lwm2m=1.2` first and fall back to `lwm2mVersion` on 4.12/4.00, as 1.2 clients do. */
  offerLwm2m12?: boolean
  /** Ask for a Bootstrap-Pack (`GET /bspack`) before `POST /bs`, as some 1.2 clients do; default false. */
  tryBootstrapPack?: boolean
  models?: ModelRegistry
  logger?: Logger
  timers?: DeviceTimers
  /** /3/0/3; default "1.0.0". */
  firmwareVersion?: string
  /** First /3303/0/5700 reading; default 21.5. */
  temperature?: number
}

/** Where a device is in its lifecycle ('failed': retries exhausted; start() may try again). */
export type DeviceState = 'idle' | 'bootstrapping' | 'bootstrapped' | 'registering' | 'registered' | 'failed' | 'stopped'

/** One request a server sent, as the 'request' event reports it. */
export interface DeviceRequestEvent {
  readonly interface: 'bootstrap' | 'server'
  readonly kind: string
  readonly path?: string
  readonly code: string
}

/** Events of a device and their arguments. */
export interface DeviceEvents {
  state: [DeviceState]
  bootstrapped: []
  registered: [{ location: string; serverUri: string }]
  deregistered: []
  /** A registration Update was accepted. */
  updated: []
  request: [DeviceRequestEvent]
}

/** A running simulated device. */
export interface Device {
  /** Bootstraps if it has no server account, then registers; resolves when registered. */
  start(): Promise<void>
  /** De-registers (best effort) and closes every session and timer. */
  stop(): Promise<void>
  bootstrap(): Promise<void>
  register(): Promise<void>
  update(): Promise<void>
  deregister(): Promise<void>
  readonly state: DeviceState
  /** Location-Path the server gave at registration, e.g. "/rd/5". */
  readonly registrationLocation?: string
  /** Reads, or sets (notifying observers), the /3303/0/5700 sensor value. */
  temperature(value?: number): number
  /**
   * LwM2M 1.1 Send (`POST /dp`) of these paths' current values over the registration's session,
   * in SenML CBOR (or JSON), each stamped with `time` (epoch seconds, default now); resolves with
   * the server's code.
   */
  send(paths: readonly string[], opts?: { time?: number; format?: number }): Promise<string>
  on<K extends keyof DeviceEvents>(event: K, listener: (...args: DeviceEvents[K]) => void): void
}

let sharedSilent: Logger | undefined

/** Creates a device (nothing is sent until start()). Throws DeviceError on invalid options. */
export function createDevice(o: DeviceOptions): Device {
  validateDeviceOptions(o)
  const endpoint = o.endpoint
  const version = o.lwm2mVersion ?? '1.1'
  const models = o.models ?? loadDefaultModels()
  const logger = o.logger ? o.logger.child({ endpoint }) : (sharedSilent ??= silentLogger())
  const timers = o.timers ?? {}
  const events = createEmitter<DeviceEvents>((err) => logger.error({ err }, 'device event listener threw'))

  const tree = createObjectTree(models)
  if (o.bootstrap) writeSecurityInstance(tree, BOOTSTRAP_SECURITY_INSTANCE, o.bootstrap, true)
  if (o.server) {
    writeSecurityInstance(tree, BOOTSTRAP_SECURITY_INSTANCE + 1, o.server, false, DIRECT_SSID)
    writeServerInstance(tree, 0, DIRECT_SSID, o.lifetime ?? 300)
  }
  writeDeviceObject(tree, endpoint, o.firmwareVersion ?? '1.0.0')
  writeTemperatureObject(tree, 0, o.temperature ?? 21.5)

  const attributes = createAttributeStore()
  let ctx: ServeContext // observations need content, which needs ctx: tied below
  const observations = createObservations({
    attributes,
    logger,
    defaults: () => {
      const srv = serverAccounts(tree)[0]?.serverInstance
      if (srv === undefined) return {}
      const pmin = tree.value(1, srv, 2)
      const pmax = tree.value(1, srv, 3)
      return { ...(typeof pmin === 'number' && { pmin }), ...(typeof pmax === 'number' && { pmax }) }
    },
    content: {
      response: (path, format) => toCoapResponse(contentResponse(ctx, path, format, 'server'), path, models),
      numeric: (path) => {
        if (path.resourceId === undefined || path.resourceInstanceId !== undefined) return undefined
        const v = tree.value(path.objectId as number, path.instanceId as number, path.resourceId)
        return typeof v === 'number' ? v : undefined
      },
    },
  })
  ctx = { tree, version, attributes, observations, execute: (path, args) => execute(path, args) }
  tree.onChange((path) => {
    observations.changed(path)
    // A new or deleted instance, or a new lifetime, is announced with an Update right away.
    const structural = path.resourceId === undefined && path.objectId !== 0 && path.objectId !== undefined
    if (state === 'registered' && (structural || (path.objectId === 1 && path.resourceId === 1))) requestPromptUpdate()
  })

  const requestPromptUpdate = (): void => {
    if (promptUpdate) return
    promptUpdate = true
    setImmediate(() => {
      promptUpdate = false
      const lifetime = serverAccounts(tree)[0]?.lifetime ?? o.lifetime ?? 300
      if (state !== 'registered' || (announced?.lifetime === lifetime && announced.links === registrationPayload())) return
      void serial(doUpdate).catch((err) => onLifecycleError('update after a change', err))
    })
  }

  let state: DeviceState = 'idle'
  let dm: Session | undefined
  let location: string[] | undefined
  /** What the server last heard: lifetime and object links, to send only what changed. */
  let announced: { lifetime: number; links: string } | undefined
  let promptUpdate = false
  let updateTimer: ReturnType<typeof setTimeout> | undefined
  let driftTimer: ReturnType<typeof setInterval> | undefined
  let sleeper: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined
  let recovering = false
  let bootstrapping: BootstrapRun | undefined
  let stopped = false
  let queue: Promise<unknown> = Promise.resolve()

  const setState = (next: DeviceState): void => {
    if (state === next || state === 'stopped') return
    state = next
    events.emit('state', next)
  }

  /** Runs lifecycle steps one at a time (a timer's update never interleaves with a register). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn)
    queue = run.catch(() => undefined)
    return run
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        sleeper = undefined
        resolve()
      }, ms)
      timer.unref?.()
      sleeper = { timer, resolve }
    })

  const backoff = (attempt: number): number => Math.min((timers.retryDelayMs ?? 1000) * 2 ** attempt, timers.maxRetryDelayMs ?? 60_000)

  const sessionTimers = {
    ackTimeoutMs: timers.ackTimeoutMs,
    maxRetransmit: timers.maxRetransmit,
    handshakeTimeoutMs: timers.handshakeTimeoutMs,
  }

  // --- serving the servers' requests ---------------------------------------------------------

  /** Encodes an answer and reports the request to 'request' listeners. */
  const report = (iface: 'bootstrap' | 'server', kind: string, path: LwM2mPath | undefined, res: DeviceResponse): CoapResponseInit => {
    const out = toCoapResponse(res, path ?? {}, models)
    events.emit('request', { interface: iface, kind, ...(path && { path: formatPath(path) }), code: out.code })
    return out
  }

  const dmHandler: CoapRequestHandler = (req, c) => {
    const r = parseLwM2mRequest(req, { models })
    if ('error' in r) return report('server', 'invalid', undefined, { code: r.error, errorMessage: r.message })
    return report('server', r.kind, 'path' in r ? r.path : undefined, serveDm(ctx, r, c.acceptObserve))
  }

  const execute = (path: LwM2mPath, args: string | undefined): string => {
    // Arguments are logged, not interpreted.
    logger.info({ path: formatPath(path), ...(args && { args }) }, 'execute')
    return executeResource(tree, path, {
      update: () => void serial(doUpdate).catch((err) => onLifecycleError('update trigger', err)),
      bootstrap: () => void rebootstrap(),
      // Reboot: come back as a fresh registration.
      reboot: () =>
        void serial(async () => {
          await doDeregister()
          await doRegister()
        }).catch((err) => onLifecycleError('reboot', err)),
    })
  }

  // --- bootstrap -----------------------------------------------------------------------------

  const doBootstrap = async (): Promise<void> => {
    if (stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
    const account = bootstrapAccount(tree)
    if (!account) throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `${endpoint} has no bootstrap server account`)
    setState('bootstrapping')
    const run = runClientBootstrap({
      account,
      endpoint,
      preferredContentFormat: o.preferredContentFormat,
      tryPack: o.tryBootstrapPack,
      ctx,
      models,
      logger,
      timers: { ...sessionTimers, bootstrapTimeoutMs: timers.bootstrapTimeoutMs },
      answer: (kind, path, res) => report('bootstrap', kind, path, res),
    })
    bootstrapping = run
    try {
      await run.done
    } catch (err) {
      setState('idle')
      throw err
    } finally {
      bootstrapping = undefined
    }
    setState('bootstrapped')
    logger.info('bootstrapped')
    events.emit('bootstrapped')
  }

  // --- registration ----------------------------------------------------------------------------

  const registrationPayload = (): string => registrationLinks(tree, version)

  const closeDm = async (): Promise<void> => {
    clearTimeout(updateTimer)
    updateTimer = undefined
    observations.clear()
    location = undefined
    const s = dm
    dm = undefined
    await s?.close()
  }

  const doRegister = async (): Promise<void> => {
    if (stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
    const account = serverAccounts(tree)[0]
    if (!account) throw new DeviceError('LWC_DEVICE_NO_SERVER', `${endpoint} has no LwM2M server account`)
    setState('registering')
    await closeDm()
    let session: Session
    try {
      session = await openSession(account, dmHandler, { logger, timers: sessionTimers })
    } catch (err) {
      setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', `cannot reach the LwM2M server ${account.uri}`, { cause: err, details: (err as Error).message })
    }
    const lifetime = account.lifetime ?? o.lifetime ?? 300
    const links = registrationPayload()
    let code = ''
    try {
      // Offering 1.2 first, as newer clients do, and taking 4.12/4.00 as "speak 1.1".
      for (const offered of o.offerLwm2m12 ? (['1.2', version] as const) : [version]) {
        const query = registerQuery(endpoint, lifetime, offered)
        const res = await session.request({ method: 'POST', path: ['rd'], query, contentFormat: ContentFormat.LINK, payload: links })
        code = res.code
        if (code === '2.01' && res.locationPath.length > 0) location = [...res.locationPath]
        if (offered !== '1.2' || (code !== '4.12' && code !== '4.00')) break
        logger.debug({ code }, 'LwM2M 1.2 refused: registering as ' + version)
      }
    } catch (err) {
      await session.close()
      setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', 'registration not answered', { cause: err, details: (err as Error).message })
    }
    if (!location) {
      await session.close()
      setState('idle')
      throw new DeviceError('LWC_DEVICE_REGISTER_FAILED', `registration refused with ${code}`, { coapCode: code })
    }
    if (stopped) {
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
      void recover('session closed')
    })
    scheduleUpdate(lifetime)
    setState('registered')
    const where = '/' + location.join('/')
    logger.info({ location: where, server: account.uri }, 'registered')
    events.emit('registered', { location: where, serverUri: account.uri })
  }

  const scheduleUpdate = (lifetime: number): void => {
    clearTimeout(updateTimer)
    // Update at about 3/4 of the lifetime, so it lands well before the server expires us.
    updateTimer = setTimeout(() => {
      updateTimer = undefined
      void serial(doUpdate).catch((err) => onLifecycleError('periodic update', err))
    }, Math.max(500, lifetime * 750))
    updateTimer.unref?.()
  }

  const doUpdate = async (): Promise<void> => {
    if (stopped) throw new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped')
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
      return doRegister()
    }
    throw new DeviceError('LWC_DEVICE_UPDATE_FAILED', `update refused with ${code}`, { coapCode: code })
  }

  const doDeregister = async (timeoutMs?: number): Promise<void> => {
    const session = dm
    const where = location
    clearTimeout(updateTimer)
    updateTimer = undefined
    if (session && where && !session.closed) {
      const req = session.request({ method: 'DELETE', path: where })
      const limit = timeoutMs === undefined ? undefined : new Promise<void>((r) => setTimeout(r, timeoutMs).unref?.())
      await (limit ? Promise.race([req, limit]) : req).catch((err: Error) => logger.debug({ err: err.message }, 'de-register not answered'))
    }
    const wasRegistered = where !== undefined
    await closeDm()
    if (!stopped) setState('idle')
    if (wasRegistered) {
      logger.info('deregistered')
      events.emit('deregistered')
    }
  }

  // --- recovery --------------------------------------------------------------------------------

  const onLifecycleError = (what: string, err: unknown): void => {
    if (stopped) return
    logger.warn({ err: (err as Error).message, what }, 'lifecycle step failed')
    void recover(what)
  }

  /** Bounded retries with backoff: register again, then bootstrap again, then give up ('failed'). */
  const recover = async (reason: string): Promise<void> => {
    if (recovering || stopped) return
    recovering = true
    try {
      await closeDm()
      const attempts = timers.retryAttempts ?? 3
      for (let i = 0; i < attempts && !stopped; i++) {
        await sleep(backoff(i))
        if (stopped) return
        try {
          await serial(doRegister)
          return
        } catch (err) {
          logger.info({ reason, attempt: i + 1, err: (err as Error).message }, 'register again failed')
          // A server that answers "no" will not change its mind: go back to bootstrap.
          if (err instanceof DeviceError && err.coapCode !== undefined) break
        }
      }
      if (bootstrapAccount(tree)) {
        for (let i = 0; i < attempts && !stopped; i++) {
          await sleep(backoff(attempts + i))
          if (stopped) return
          try {
            await serial(async () => {
              await doBootstrap()
              await doRegister()
            })
            return
          } catch (err) {
            logger.info({ reason, attempt: i + 1, err: (err as Error).message }, 'bootstrap again failed')
          }
        }
      }
      if (!stopped) {
        logger.warn({ reason }, 'giving up: device failed')
        setState('failed')
      }
    } finally {
      recovering = false
    }
  }

  /** Bootstrap-Request Trigger: leave the current server, bootstrap, register with the new one. */
  const rebootstrap = async (): Promise<void> => {
    try {
      await serial(async () => {
        await doDeregister(timers.stopTimeoutMs ?? 2000)
        await doBootstrap()
        await doRegister()
      })
    } catch (err) {
      onLifecycleError('bootstrap trigger', err)
    }
  }

  if (timers.temperatureDriftMs) {
    const ms = timers.temperatureDriftMs
    const drift = (): void => {
      const v = tree.value(3303, 0, 5700)
      if (typeof v === 'number') setTemperature(tree, 0, Math.round((v + (Math.random() - 0.5)) * 10) / 10)
    }
    // Started at the first registration, so that an unstarted device holds no timer.
    const startDrift = (): void => {
      driftTimer ??= setInterval(drift, ms)
      driftTimer.unref?.()
    }
    events.on('registered', startDrift)
  }

  return {
    start() {
      if (stopped) return Promise.reject(new DeviceError('LWC_DEVICE_STOPPED', 'device is stopped'))
      return serial(async () => {
        const attempts = timers.retryAttempts ?? 3
        let forceBootstrap = false
        let last: unknown
        for (let i = 0; i < attempts && !stopped; i++) {
          try {
            if (forceBootstrap || serverAccounts(tree).length === 0) await doBootstrap()
            await doRegister()
            return
          } catch (err) {
            last = err
            logger.info({ attempt: i + 1, err: (err as Error).message }, 'start attempt failed')
            // A server that refuses or cannot be reached sends us back to bootstrap, when we can.
            if (!bootstrapAccount(tree)) break
            forceBootstrap = true
            if (i + 1 < attempts) await sleep(backoff(i))
          }
        }
        if (!stopped) setState('failed')
        throw last instanceof DeviceError ? last : new DeviceError('LWC_DEVICE_STOPPED', 'device stopped while starting', { cause: last })
      })
    },
    async stop() {
      if (stopped) return
      stopped = true
      if (sleeper) {
        clearTimeout(sleeper.timer)
        sleeper.resolve()
      }
      clearInterval(driftTimer)
      clearTimeout(updateTimer)
      bootstrapping?.abort(new DeviceError('LWC_DEVICE_STOPPED', 'device stopped during bootstrap'))
      await doDeregister(timers.stopTimeoutMs ?? 2000)
      state = 'stopped'
      events.emit('state', 'stopped')
    },
    bootstrap: () => serial(doBootstrap),
    register: () => serial(doRegister),
    update: () => serial(doUpdate),
    deregister: () => serial(() => doDeregister()),
    get state() {
      return state
    },
    get registrationLocation() {
      return location ? '/' + location.join('/') : undefined
    },
    temperature(value) {
      if (value !== undefined) {
        if (!Number.isFinite(value)) throw new DeviceError('LWC_DEVICE_OPTIONS', `temperature ${value} is not a finite number`)
        setTemperature(tree, 0, value)
      }
      return tree.value(3303, 0, 5700) as number
    },
    async send(paths, opts = {}) {
      const session = dm
      if (!session || !location || session.closed) throw new DeviceError('LWC_DEVICE_NOT_REGISTERED', 'send needs a registration')
      const time = opts.time ?? Math.floor(Date.now() / 1000)
      const nodes: TimedNode[] = []
      for (const text of paths) {
        const path = parsePath(text)
        const read = tree.read(path, 'server')
        if (!('node' in read)) throw new DeviceError('LWC_DEVICE_OPTIONS', `${text} cannot be read (${read.code})`)
        nodes.push({ path, node: read.node, time })
      }
      const format = opts.format ?? ContentFormat.SENML_CBOR
      const res = await session.request({ method: 'POST', path: ['dp'], contentFormat: format, payload: encodeTimedNodes(format, nodes) })
      return res.code
    },
    on: (event, listener) => events.on(event, listener),
  }
}
