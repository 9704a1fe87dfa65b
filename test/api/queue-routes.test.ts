/**
 * Queue mode through the REST API (`serve server` as the command runs it): a hand-driven device
 * registered with `Q` that sleeps. A read, plain or composite, waits --queue-timeout-ms, answers
 * 202 {requestId}, and its result comes later as `queued-result` on GET /api/events; beyond the
 * per-device bound the call answers 503 and a line is logged; GET /api/clients shows queueMode
 * and awake; a device not in queue mode is served meanwhile as if nothing happened.
 */
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hexToBytes, type Hex } from 'viem'
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { decodeCompositePaths, encodeCompositeNodes } from '../../src/lwm2m/codec/composite.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import { formatPath, parsePath } from '../../src/lwm2m/path.js'
import { handDevice, type HandDevice } from '../daemons/server-helpers.js'
import { eventually, givenApiSystem, openEvents, type ApiSystem, type SseReader } from './devices-helpers.js'

const QUEUE_TIMEOUT_MS = 300
const MAX_PER_DEVICE = 2
const models = loadDefaultModels()

describe('queue mode through the REST API', () => {
  let sys: ApiSystem
  let sleeper: HandDevice
  let location: string[]
  let events: SseReader
  const logs: Array<Record<string, unknown>> = []
  /** Requests the sleeping device received, as "METHOD /path". */
  const received: string[] = []

  const status = () => sys.server.daemon.queueStatus('sleepy')
  const clientsItem = async (endpoint: string) => {
    const res = await sys.call('GET', '/api/clients?status=registered', { role: 'user' })
    expect(res.status).toBe(200)
    return ((await res.json()) as { items: Array<Record<string, unknown>> }).items.find((i) => i.endpoint === endpoint)
  }

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) })
    sys = await givenApiSystem({ logger, queueTimeoutMs: QUEUE_TIMEOUT_MS, queue: { awakeMs: 2_000, maxPerDevice: MAX_PER_DEVICE }, observe: ['none'] })
    await sys.device('awake-1', 23.5)
    const added = await sys.provision('sleepy')
    sleeper = await handDevice(sys.server.address, added.server.identity, hexToBytes(`0x${added.server.key}` as Hex))
    // Answers Read (GET) and Read-Composite (FETCH) from its values, noting each request.
    sleeper.coap.onRequest((req) => {
      const text = '/' + req.path.join('/')
      received.push(`${req.method} ${text}`)
      if (req.method === 'GET') {
        const node = sleeper.values.get(text)
        if (!node) return { code: '4.04' }
        const format = req.accept ?? ContentFormat.TLV
        return { code: '2.05', contentFormat: format, payload: codecFor(format).encode(node, parsePath(text), models) }
      }
      if (req.method === 'FETCH' && text === '/') {
        const format = req.contentFormat ?? ContentFormat.SENML_CBOR
        const paths = decodeCompositePaths(format, req.payload)
        const nodes = paths.map((p) => [p, sleeper.values.get(formatPath(p))!] as const)
        return { code: '2.05', contentFormat: req.accept ?? format, payload: encodeCompositeNodes(req.accept ?? format, nodes) }
      }
      return { code: '4.05' }
    })
    const reg = await sleeper.register(['ep=sleepy', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q'], '</3/0>,</3303/0>')
    expect(reg.code).toBe('2.01')
    location = [...reg.locationPath]
    events = await openEvents(sys.base, `?token=${sys.tokens.user}&endpoint=sleepy`)
    expect(events.status).toBe(200)
  })
  afterAll(async () => {
    events?.close()
    await sleeper?.stop()
    await sys?.stop()
  })

  it('lists queueMode and awake: awake right after it registered, asleep after the awake time', async () => {
    expect(await clientsItem('sleepy')).toMatchObject({ queueMode: true, awake: true, queued: 0 })
    await eventually(() => status()?.awake === false)
    expect(await clientsItem('sleepy')).toMatchObject({ queueMode: true, awake: false, queued: 0 })
    expect(await clientsItem('awake-1')).toMatchObject({ awake: true, queued: 0 })
    expect((await clientsItem('awake-1'))?.queueMode).not.toBe(true)
  })

  it('answers 202 {requestId} to a read and a composite read of a sleeping device; 503 beyond the bound; results on SSE when it talks', async () => {
    await eventually(() => status()?.awake === false)
    const seenBefore = received.length

    const t0 = Date.now()
    const read = await sys.call('GET', '/api/clients/sleepy/3303/0/5700', { role: 'application' })
    const readMs = Date.now() - t0
    expect(read.status).toBe(202)
    const readBody = (await read.json()) as { error: string; message: string; requestId: string }
    expect(readBody).toMatchObject({ error: 'queued', message: expect.any(String), requestId: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(readMs).toBeGreaterThanOrEqual(QUEUE_TIMEOUT_MS - 20)

    const comp = await sys.call('POST', '/api/clients/sleepy/composite', { role: 'application', body: { paths: ['/3/0/0', '/3303/0/5700'], format: 'senml-json' } })
    expect(comp.status).toBe(202)
    const compBody = (await comp.json()) as { requestId: string }
    expect(compBody.requestId).not.toBe(readBody.requestId)
    expect(status()?.queued).toBe(MAX_PER_DEVICE)

    // Over the bound: refused at once, with a clear message and a log line, nothing added to the queue.
    const full = await sys.call('GET', '/api/clients/sleepy/3/0/0', { role: 'application' })
    expect(full.status).toBe(503)
    expect(await full.json()).toMatchObject({ error: 'queue_full', message: expect.stringMatching(/queue of "sleepy" is full/) })
    const line = logs.find((l) => l.msg === 'queue-mode device queue full: request refused')
    expect(line).toMatchObject({ level: 40, endpoint: 'sleepy', path: '/3/0/0', queued: MAX_PER_DEVICE })
    expect(JSON.stringify(line)).not.toMatch(/"key"|psk/i)
    expect(await clientsItem('sleepy')).toMatchObject({ queueMode: true, awake: false, queued: MAX_PER_DEVICE })
    expect(received.length).toBe(seenBefore)

    // No other device affected: a device not in queue mode reads at once meanwhile.
    const other = await sys.call('GET', '/api/clients/awake-1/3303/0/5700', { role: 'application' })
    expect(other.status).toBe(200)
    expect(((await other.json()) as { values: unknown }).values).toEqual({ '/3303/0/5700': 23.5 })

    // It talks (an Update): both queued requests go out, in order, and their results come on SSE.
    const tUpdate = Date.now()
    expect((await sleeper.request({ method: 'POST', path: location })).code).toBe('2.04')
    const r1 = await events.next((e) => e.event === 'queued-result' && e.data.requestId === readBody.requestId)
    const r2 = await events.next((e) => e.event === 'queued-result' && e.data.requestId === compBody.requestId)
    console.info(`queue REST: 202 after ${readMs} ms (--queue-timeout-ms ${QUEUE_TIMEOUT_MS}); both results on SSE ${Date.now() - tUpdate} ms after the Update`)
    expect(r1.data).toEqual({
      type: 'queued-result',
      endpoint: 'sleepy',
      requestId: readBody.requestId,
      path: '/3303/0/5700',
      code: '2.05',
      success: true,
      values: { '/3303/0/5700': 21.5 },
    })
    expect(r2.data).toMatchObject({
      type: 'queued-result',
      endpoint: 'sleepy',
      requestId: compBody.requestId,
      code: '2.05',
      success: true,
      values: { '/3/0/0': 'Acme', '/3303/0/5700': 21.5 },
    })
    expect(received.slice(seenBefore)).toEqual(['GET /3303/0/5700', 'FETCH /'])
    expect(status()?.queued).toBe(0)
  })

  it('answers a read at once while the device is awake after it talked', async () => {
    expect((await sleeper.request({ method: 'POST', path: location })).code).toBe('2.04')
    const res = await sys.call('GET', '/api/clients/sleepy/3/0/0', { role: 'application' })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { values: unknown }).values).toEqual({ '/3/0/0': 'Acme' })
  })
})
