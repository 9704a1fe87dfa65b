import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { autoObserveConfig } from '../../commands/serve/server.js'
import { UsageError } from '../../errors/base.js'
import { silentLogger } from '../../logger.js'
import { formatPath, type LwM2mPath } from '../../lwm2m/path.js'
import type { LwM2mObservation } from '../../lwm2m/request/sender.js'
import type { LwM2mResponse, RequestOf } from '../../lwm2m/request/types.js'
import type { Registration } from '../../lwm2m/server/index.js'
import { DEFAULT_AUTO_OBSERVE, startAutoObserve, type AutoObserveConfig, type AutoObserveDaemon } from './autoObserve.js'

const CONTENT: LwM2mResponse = { code: 'CONTENT', coapCode: '2.05', success: true } as LwM2mResponse
const CHANGED: LwM2mResponse = { code: 'CHANGED', coapCode: '2.04', success: true } as LwM2mResponse

/** One request the fake daemon saw, in order. */
type Sent = { endpoint: string; kind: 'writeAttributes' | 'observe'; path: string; attributes?: unknown }

/**
 * A daemon with a registration store and a 'registered' event, recording the requests it is
 * sent. `next(n)` resolves once n requests in all have come (the auto-observer sends them on a
 * timer after the registration; the test waits for them, not for the timer).
 */
function fakeDaemon(registered: Registration[] = []) {
  const events = new EventEmitter()
  const sent: Sent[] = []
  const waiters: Array<{ n: number; resolve(): void }> = []
  const saw = (s: Sent): void => {
    sent.push(s)
    for (const w of waiters.filter((w) => sent.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  }
  const daemon: AutoObserveDaemon = {
    async send(endpoint: string, request: RequestOf<'writeAttributes'>) {
      saw({ endpoint, kind: 'writeAttributes', path: formatPath(request.path), attributes: request.attributes })
      return CHANGED
    },
    async observe(endpoint: string, request: RequestOf<'observe'>) {
      saw({ endpoint, kind: 'observe', path: formatPath(request.path as LwM2mPath) })
      const obs: LwM2mObservation = { response: CONTENT, active: true, cancel: async () => {} }
      return obs
    },
    registrations: { all: () => registered },
    events: {
      on: (e, l) => events.on(e, l),
      off: (e, l) => events.off(e, l),
    },
  }
  return {
    daemon,
    sent,
    register: (reg: Registration) => events.emit('registered', reg),
    listeners: () => events.listenerCount('registered'),
    next: (n: number) => new Promise<void>((resolve) => (sent.length >= n ? resolve() : waiters.push({ n, resolve }))),
  }
}

function registration(endpoint: string, links: Array<[number, number?]>): Registration {
  const now = Date.now()
  return {
    id: `id-${endpoint}`,
    endpoint,
    peer: { address: '127.0.0.1', port: 1 },
    lwm2mVersion: '1.1',
    lifetime: 86_400,
    binding: 'U',
    rootPath: '/',
    objectLinks: links.map(([objectId, instanceId]) => ({ objectId, ...(instanceId !== undefined && { instanceId }) })) as unknown as Registration['objectLinks'],
    registeredAt: now,
    lastUpdate: now,
    expiresAt: now + 86_400_000,
  }
}

/** Starts an auto-observer on the fake daemon; adopted observations are listed as "ep path". */
function start(fake: ReturnType<typeof fakeDaemon>, config: AutoObserveConfig) {
  const adopted: string[] = []
  const observer = startAutoObserve({ daemon: fake.daemon, config, adopt: (ep, path) => adopted.push(`${ep} ${formatPath(path)}`), logger: silentLogger() })
  return { observer, adopted }
}

describe('auto-observe on registration', () => {
  it('observes a non-default set of paths, only those whose object the device registered', async () => {
    const fake = fakeDaemon()
    const config = autoObserveConfig({ observe: ['/3/0/9', '/3442/0/110', '/3303/0/5700'] })
    expect(config).toEqual({ paths: ['/3/0/9', '/3442/0/110', '/3303/0/5700'] })
    const { observer, adopted } = start(fake, config!)
    // Registers Device and the test object, not the temperature sensor.
    fake.register(registration('dev-a', [[1, 0], [3, 0], [3442, 0]]))
    await fake.next(2)
    expect(fake.sent.map((s) => `${s.kind} ${s.path}`).sort()).toEqual(['observe /3/0/9', 'observe /3442/0/110'])
    expect(fake.sent.every((s) => s.endpoint === 'dev-a')).toBe(true)
    await expect.poll(() => adopted.length).toBe(2)
    expect(adopted.sort()).toEqual(['dev-a /3/0/9', 'dev-a /3442/0/110'])
    // A second device with only the temperature sensor gets only that path.
    fake.register(registration('dev-b', [[3303, 0]]))
    await fake.next(3)
    expect(fake.sent[2]).toEqual({ endpoint: 'dev-b', kind: 'observe', path: '/3303/0/5700' })
    observer.stop()
    expect(fake.listeners()).toBe(0)
  })

  it('observes devices registered before it started', async () => {
    const fake = fakeDaemon([registration('early', [[3303, 0]])])
    const { observer } = start(fake, DEFAULT_AUTO_OBSERVE)
    await fake.next(1)
    expect(fake.sent).toEqual([{ endpoint: 'early', kind: 'observe', path: '/3303/0/5700' }])
    observer.stop()
  })

  it('"none" observes nothing: no listener, no request, not even to devices already registered', async () => {
    const config = autoObserveConfig({ observe: ['none'] })
    expect(config).toEqual({ paths: [] })
    // Fake timers: the requests go out on a timer after a registration, so running every timer
    // shows what would ever be sent, without waiting.
    vi.useFakeTimers()
    try {
      const fake = fakeDaemon([registration('early', [[3303, 0]])])
      const { observer } = start(fake, config!)
      expect(fake.listeners()).toBe(0)
      fake.register(registration('dev-a', [[3303, 0]]))
      await vi.runAllTimersAsync()
      expect(fake.sent).toEqual([])
      observer.stop()
      // The same daemon with the default set would have observed both: the check above can fail.
      const control = fakeDaemon([registration('early', [[3303, 0]])])
      const other = start(control, DEFAULT_AUTO_OBSERVE)
      control.register(registration('dev-a', [[3303, 0]]))
      await vi.runAllTimersAsync()
      expect(control.sent.map((s) => s.endpoint).sort()).toEqual(['dev-a', 'early'])
      other.observer.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('sends the Write-Attributes before the Observe when attributes are given', async () => {
    const config = autoObserveConfig({ observeAttributes: 'pmin=5,pmax=60,st=0.5' })
    // Attributes alone keep the default path.
    expect(config).toEqual({ paths: ['/3303/0/5700'], attributes: { pmin: 5, pmax: 60, st: 0.5 } })
    const fake = fakeDaemon()
    const { observer, adopted } = start(fake, config!)
    fake.register(registration('dev-a', [[3303, 0]]))
    await fake.next(2)
    expect(fake.sent).toEqual([
      { endpoint: 'dev-a', kind: 'writeAttributes', path: '/3303/0/5700', attributes: { pmin: 5, pmax: 60, st: 0.5 } },
      { endpoint: 'dev-a', kind: 'observe', path: '/3303/0/5700' },
    ])
    await expect.poll(() => adopted).toEqual(['dev-a /3303/0/5700'])
    observer.stop()
  })

  it('without attributes sends no Write-Attributes', async () => {
    const fake = fakeDaemon()
    const { observer } = start(fake, autoObserveConfig({ observe: ['/3303/0/5700'] })!)
    fake.register(registration('dev-a', [[3303, 0]]))
    await fake.next(1)
    expect(fake.sent.map((s) => s.kind)).toEqual(['observe'])
    observer.stop()
  })

  it('refuses a bad path or bad attributes with a UsageError (exit 2)', () => {
    for (const bad of ['/3303/x/5700', 'temperature', '/1/2/3/4/5', '/70000/0/1', '/', '']) {
      let err: unknown
      try {
        autoObserveConfig({ observe: ['/3/0/9', bad] })
      } catch (e) {
        err = e
      }
      expect(err, `--observe ${JSON.stringify(bad)}`).toBeInstanceOf(UsageError)
      expect((err as UsageError).exitCode).toBe(2)
      expect((err as UsageError).shortMessage).toMatch(/^--observe: /)
    }
    expect(() => autoObserveConfig({ observeAttributes: 'pmin=soon' })).toThrow(UsageError)
    expect(() => autoObserveConfig({ observeAttributes: 'pmin=soon' })).toThrow(/^--observe-attributes: /)
    // No flags: the API's default.
    expect(autoObserveConfig({})).toBeUndefined()
  })
})
