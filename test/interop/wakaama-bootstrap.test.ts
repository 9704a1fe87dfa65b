/**
 * Bootstrap interop with Eclipse Wakaama's C client: every key must work. Wakaama decodes SenML
 * JSON `vd` with the standard base64 alphabet only (wakaama#698), so keys whose base64url holds
 * `-` or `_` are the ones that used to fail; they are tried on purpose beside random ones.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBootstrapDaemon, type BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore, type InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { startWakaama, wakaamaBinary, wakaamaSkipReason, type WakaamaClient } from '../helpers/wakaama.js'

/** A 16-byte key whose base64 holds both `+` and `/` (so its base64url holds `-` and `_`). */
function keyWithPlusAndSlash(): Uint8Array {
  for (;;) {
    const k = randomBytes(16)
    const b = k.toString('base64')
    if (b.includes('+') && b.includes('/')) return new Uint8Array(k)
  }
}

describe.skipIf(wakaamaSkipReason !== undefined)('Wakaama bootstrap (real C client)', () => {
  let store: InMemorySecurityStore
  let bootstrap: BootstrapDaemon
  let server: ServerDaemon
  let bsPort: number
  let srvUri: string
  const clients: WakaamaClient[] = []

  beforeAll(async () => {
    await wakaamaBinary()
    store = createInMemorySecurityStore()
    bootstrap = createBootstrapDaemon({
      security: store,
      transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
    })
    server = createServerDaemon({
      security: store,
      transport: createDaemonTransport({ side: 'server', security: store, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
      config: {},
    })
    bsPort = (await bootstrap.start()).address.port
    srvUri = `coaps://127.0.0.1:${(await server.start()).address.port}`
  }, 600_000)

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()))
    await bootstrap?.stop()
    await server?.stop()
  })

  /** Provisions and starts one client per key at once (each waits out Wakaama's 10 s hold-off). */
  async function bootstrapAll(prefix: string, keys: Uint8Array[], serverIdentity: (ep: string) => string): Promise<string[]> {
    const registered: string[] = []
    const want = new Set<string>()
    const done = new Promise<void>((ok) => {
      server.events.on('registered', (reg) => {
        if (want.delete(reg.endpoint)) registered.push(reg.endpoint)
        if (want.size === 0) ok()
      })
    })
    for (const [i, key] of keys.entries()) {
      const endpoint = `${prefix}-${i}`
      want.add(endpoint)
      const bsKey = new Uint8Array(randomBytes(16))
      store.put({
        endpoint,
        bootstrap: { uri: `coaps://127.0.0.1:${bsPort}`, identity: `bs-${endpoint}`, key: bsKey },
        server: { uri: srvUri, identity: serverIdentity(endpoint), key },
      })
      clients.push(await startWakaama({ endpoint, port: bsPort, identity: `bs-${endpoint}`, key: bsKey, bootstrap: true }))
    }
    await Promise.race([done, new Promise<void>((r) => setTimeout(r, 60_000).unref())])
    return registered
  }

  it('bootstraps and registers with 20 of 20 random keys', async () => {
    const keys = Array.from({ length: 20 }, () => new Uint8Array(randomBytes(16)))
    const ok = await bootstrapAll('rnd', keys, (ep) => `srv-${ep}`)
    expect(ok.sort()).toEqual(keys.map((_, i) => `rnd-${i}`).sort())
  }, 120_000)

  it('bootstraps and registers with keys whose base64 holds + and /', async () => {
    const keys = Array.from({ length: 6 }, keyWithPlusAndSlash)
    // The identity is opaque in /0/x/3 too: "srv?>~" encodes as "c3J2Pz5+" (base64url "c3J2Pz5-").
    const ok = await bootstrapAll('b64', keys, (ep) => `srv?>~${ep}`)
    expect(ok.sort()).toEqual(keys.map((_, i) => `b64-${i}`).sort())
  }, 120_000)
})
