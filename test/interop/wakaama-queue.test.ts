/**
 * Queue mode against Eclipse Wakaama's C client: bootstrapped with binding `UQ` (/1/0/7), it
 * registers in queue mode; requests for it wait while it sleeps and go out, in order, when it
 * next talks: an Update (`update 101` on its console) or a Send (`send 101 /3/0/13`), or the
 * Update it sends by itself when its lifetime is short.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBootstrapDaemon, type BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { createServerDaemon, type SendEvent, type ServerDaemon } from '../../src/daemons/server.js'
import { silentLogger } from '../../src/logger.js'
import { parsePath } from '../../src/lwm2m/path.js'
import type { LwM2mResponse } from '../../src/lwm2m/request/types.js'
import type { Registration } from '../../src/lwm2m/server/index.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { eventually } from '../daemons/server-helpers.js'
import { startWakaama, wakaamaBinary, wakaamaSkipReason, type WakaamaClient } from '../helpers/wakaama.js'

/** The Short Server ID the bootstrap server writes (its default): Wakaama's console commands name it. */
const SSID = 101
/** How long the server counts the device awake after it talked (short, so the test need not wait 93 s). */
const AWAKE_MS = 1_500

/** Our bootstrap server (writing binding UQ) and LwM2M server, and a Wakaama client bootstrapped by them. */
interface QueueRig {
  bootstrap: BootstrapDaemon
  server: ServerDaemon
  client: WakaamaClient
  reg: Registration
  srvPort: number
  stop(): Promise<void>
}

/** Starts the rig; `serverLifetime` is written to /1/0/1 (Wakaama updates by itself at half of it when under 93 s). */
async function startQueueRig(endpoint: string, serverLifetime?: number): Promise<QueueRig> {
  await wakaamaBinary()
  const store = createInMemorySecurityStore()
  const bootstrap = createBootstrapDaemon({
    security: store,
    transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0 }),
    logger: silentLogger(),
    config: { binding: 'UQ', ...(serverLifetime !== undefined && { serverLifetime }) },
  })
  const server = createServerDaemon({
    security: store,
    transport: createDaemonTransport({ side: 'server', security: store, logger: silentLogger(), port: 0 }),
    logger: silentLogger(),
    config: { queueAwakeMs: AWAKE_MS },
  })
  const bsPort = (await bootstrap.start()).address.port
  const srvPort = (await server.start()).address.port
  const bsKey = new Uint8Array(randomBytes(16))
  store.put({
    endpoint,
    bootstrap: { uri: `coaps://127.0.0.1:${bsPort}`, identity: `bs-${endpoint}`, key: bsKey },
    server: { uri: `coaps://127.0.0.1:${srvPort}`, identity: `srv-${endpoint}`, key: new Uint8Array(randomBytes(16)) },
  })
  const registered = new Promise<Registration>((ok) => {
    const on = (r: Registration) => {
      if (r.endpoint !== endpoint) return
      server.events.off('registered', on)
      ok(r)
    }
    server.events.on('registered', on)
  })
  // Bootstraps after Wakaama's fixed 10 s hold-off, then registers at the server.
  const client = await startWakaama({ endpoint, port: bsPort, identity: `bs-${endpoint}`, key: bsKey, bootstrap: true })
  const reg = await registered
  return {
    bootstrap,
    server,
    client,
    reg,
    srvPort,
    async stop() {
      await client.stop()
      await bootstrap.stop()
      await server.stop()
    },
  }
}

describe.skipIf(wakaamaSkipReason !== undefined)('Wakaama queue mode (real C client, binding UQ)', () => {
  const endpoint = 'wakaama-queue'
  let rig: QueueRig
  let server: ServerDaemon
  let client: WakaamaClient

  /** Datagrams Wakaama logged as received from our server (it prints "N bytes received from [host]:port" for each). */
  const fromServer = () => client.output().split(`received from [127.0.0.1]:${rig.srvPort}`).length - 1

  const read = (path: string) => server.send(endpoint, { kind: 'read', path: parsePath(path) }, { queueTimeoutMs: 120_000 })
  const asleep = () => eventually(() => server.queueStatus(endpoint)?.awake === false)

  beforeAll(async () => {
    rig = await startQueueRig(endpoint)
    ;({ server, client } = rig)
  }, 600_000)

  afterAll(async () => {
    await rig?.stop()
  })

  it('registers in queue mode after a bootstrap that wrote binding UQ', async () => {
    expect(rig.reg.queueMode).toBe(true)
    expect(server.queueStatus(endpoint)).toMatchObject({ queueMode: true })
    // What the bootstrap server wrote, read back from the device: at once while it is still awake
    // after registering, else when the Update typed next wakes it.
    const reading = read('/1/0/7')
    client.command(`update ${SSID}`)
    const binding = await reading
    expect(binding.node).toMatchObject({ kind: 'resource', value: 'UQ' })
  })

  it('holds a Read while it sleeps and sends it when it talks (console update)', async () => {
    await asleep()
    let done = false
    const t0 = Date.now()
    const seenBefore = fromServer()
    const pending = read('/3/0/0').then((r) => {
      done = true
      return r
    })
    await eventually(() => server.queueStatus(endpoint)?.queued === 1)
    expect(done).toBe(false)
    // Nothing went to the sleeping device: the Read is in our queue, not on the wire.
    expect(fromServer()).toBe(seenBefore)
    const tUpdate = Date.now()
    client.command(`update ${SSID}`)
    const res = await pending
    const tDone = Date.now()
    expect(res.coapCode).toBe('2.05')
    expect(res.node).toMatchObject({ kind: 'resource', value: 'Open Mobile Alliance' })
    expect(server.queueStatus(endpoint)?.queued).toBe(0)
    console.info(`wakaama queue: Read waited ${tDone - t0} ms in all, ${tDone - tUpdate} ms after the update command`)
  })

  it('releases queued requests in order when it Sends (console send)', async () => {
    await asleep()
    const seenBefore = fromServer()
    const order: string[] = []
    const note = (name: string) => (r: LwM2mResponse) => {
      order.push(`${name} ${r.coapCode}`)
      return r
    }
    const a = read('/3/0/0').then(note('a'))
    const b = read('/3/0/1').then(note('b'))
    await eventually(() => server.queueStatus(endpoint)?.queued === 2)
    expect(order).toEqual([])
    expect(fromServer()).toBe(seenBefore)
    const sent = new Promise<SendEvent>((ok) => {
      const on = (e: SendEvent) => {
        if (e.endpoint !== endpoint) return
        server.events.off('send', on)
        ok(e)
      }
      server.events.on('send', on)
    })
    const tSend = Date.now()
    client.command(`send ${SSID} /3/0/13`)
    const [ra, rb] = await Promise.all([a, b])
    expect((await sent).values[0]).toMatchObject({ path: '/3/0/13' })
    expect(order).toEqual(['a 2.05', 'b 2.05'])
    expect(ra.node).toMatchObject({ value: 'Open Mobile Alliance' })
    expect(rb.node).toMatchObject({ kind: 'resource', id: 1 })
    console.info(`wakaama queue: two queued Reads answered ${Date.now() - tSend} ms after the send command`)
  })
})

describe.skipIf(wakaamaSkipReason !== undefined)('Wakaama queue mode: its own periodic Update releases what waits', () => {
  const endpoint = 'wakaama-queue-lt'
  /** Lifetime 20 s: Wakaama sends an Update every 10 s by itself (lifetime / 2 below 93 s). */
  const LIFETIME_S = 20
  let rig: QueueRig

  beforeAll(async () => {
    rig = await startQueueRig(endpoint, LIFETIME_S)
  }, 600_000)
  afterAll(async () => {
    await rig?.stop()
  })

  it('holds a Read while it sleeps until the Update it sends on its own, nothing typed', async () => {
    const { server } = rig
    await eventually(() => server.queueStatus(endpoint)?.awake === false)
    const updates: number[] = []
    const onUpdated = (r: Registration) => void (r.endpoint === endpoint && updates.push(Date.now()))
    server.events.on('updated', onUpdated)
    try {
      const t0 = Date.now()
      const pending = server.send(endpoint, { kind: 'read', path: parsePath('/3/0/0') }, { queueTimeoutMs: 120_000 })
      await eventually(() => server.queueStatus(endpoint)?.queued === 1 || updates.length > 0)
      const res = await pending
      const tDone = Date.now()
      expect(res.node).toMatchObject({ value: 'Open Mobile Alliance' })
      // It went out only once the device talked: an Update arrived after the Read was queued.
      expect(updates.length).toBeGreaterThan(0)
      expect(updates[0]!).toBeGreaterThanOrEqual(t0)
      expect(tDone).toBeGreaterThanOrEqual(updates[0]!)
      console.info(`wakaama queue: Read queued for ${tDone - t0} ms until Wakaama's own Update (lifetime ${LIFETIME_S} s), answered ${tDone - updates[0]!} ms after it`)
    } finally {
      server.events.off('updated', onUpdated)
    }
  })
})
