/**
 * Queue mode against the server daemon: a `Q` device's requests wait until it talks (Update,
 * Send), go out in order, give RequestQueuedError (REST: 202) after the wait and a
 * 'queued-result' event later, and overflow with QueueFullError (REST: 503).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toApiError } from '../../src/api/errors.js'
import type { QueuedResultEvent } from '../../src/daemons/server.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { parsePath } from '../../src/lwm2m/path.js'
import { QueueFullError, RequestQueuedError } from '../../src/lwm2m/server/index.js'
import { clientRecord, eventually, givenServer, handDevice, type GivenServer, type HandDevice } from './server-helpers.js'

const dev = clientRecord('q1')

describe('server daemon: queue mode', () => {
  let s: GivenServer
  let d: HandDevice
  let location: string[]

  const asleep = () => eventually(() => s.daemon.queueStatus('q1')?.awake === false)
  const update = async () => expect((await d.request({ method: 'POST', path: location })).code).toBe('2.04')
  const read = (path: string, queueTimeoutMs = 60_000) =>
    s.daemon.send('q1', { kind: 'read', path: parsePath(path), format: ContentFormat.TEXT }, { queueTimeoutMs })

  beforeAll(async () => {
    s = await givenServer([dev], { queueAwakeMs: 1_000, queueMaxPerDevice: 2 })
    d = await handDevice(s.address, dev.server.identity, dev.server.key)
    const reg = await d.register(['ep=q1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q'], '</3/0>,</3303/0>')
    expect(reg.code).toBe('2.01')
    location = [...reg.locationPath]
  })
  afterAll(async () => {
    await d?.stop()
    await s?.daemon.stop()
  })

  it('sends at once while the device is awake after it talked, and shows queueMode and awake', async () => {
    expect(s.daemon.queueStatus('q1')).toMatchObject({ queueMode: true, queued: 0 })
    await update()
    expect(s.daemon.queueStatus('q1')?.awake).toBe(true)
    expect((await read('/3/0/0')).node).toMatchObject({ value: 'Acme' })
  })

  it('holds requests for a sleeping device until its next Update, then sends them in order', async () => {
    await asleep()
    const done: string[] = []
    const a = read('/3/0/0').then((r) => done.push(`a ${r.coapCode}`))
    const b = read('/3303/0/5700').then((r) => done.push(`b ${r.coapCode}`))
    await eventually(() => s.daemon.queueStatus('q1')?.queued === 2)
    expect(done).toEqual([])
    await update()
    await Promise.all([a, b])
    expect(done).toEqual(['a 2.05', 'b 2.05'])
    expect(s.daemon.queueStatus('q1')?.queued).toBe(0)
  })

  it('gives up waiting with a request id (REST 202) and publishes the result when the device wakes up', async () => {
    await asleep()
    const results: QueuedResultEvent[] = []
    s.daemon.events.on('queued-result', (e) => results.push(e))
    const err = await read('/3/0/0', 50).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(RequestQueuedError)
    const id = (err as RequestQueuedError).requestId
    expect(toApiError(err)).toMatchObject({ status: 202, body: { error: 'queued', requestId: id } })
    await update()
    await eventually(() => results.length === 1)
    expect(results[0]).toMatchObject({ endpoint: 'q1', requestId: id, path: '/3/0/0', response: { coapCode: '2.05' } })
  })

  it('answers QueueFullError (REST 503) beyond the per-device bound, without touching what waits', async () => {
    await asleep()
    const waiting = [read('/3/0/0'), read('/3/0/0')]
    await expect(read('/3/0/0')).rejects.toBeInstanceOf(QueueFullError)
    expect(toApiError(new QueueFullError('q1', 2)).status).toBe(503)
    await update()
    expect((await Promise.all(waiting)).map((r) => r.coapCode)).toEqual(['2.05', '2.05'])
  })

  it('queues an Observe too: it goes out when the device wakes, and its notifications keep it awake', async () => {
    await asleep()
    const obs = s.daemon.observe('q1', { kind: 'observe', path: parsePath('/3303/0/5700') })
    await eventually(() => s.daemon.queueStatus('q1')?.queued === 1)
    await update()
    const o = await obs
    expect(o.active).toBe(true)
    await o.cancel()
  })
})
