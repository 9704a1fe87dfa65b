import { createBootstrapDaemon, type BootstrapDaemon } from '../../src/daemons/bootstrap.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore, type ClientSecurity, type InMemorySecurityStore } from '../../src/lwm2m/security-store.js'

/** A bootstrap daemon and an LwM2M server daemon on loopback port 0, sharing one in-memory store. */
export interface DaemonPair {
  store: InMemorySecurityStore
  bootstrap: BootstrapDaemon
  server: ServerDaemon
  /** `coaps://127.0.0.1:PORT` of each daemon. */
  bsUri: string
  srvUri: string
  /** Provisions `endpoint` with identities `bs-EP` / `srv-EP` and keys `bs-key-EP` / `srv-key-EP`, pointed at this pair. */
  provision(endpoint: string): ClientSecurity
  /** Stops both daemons. */
  stop(): Promise<void>
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Starts both daemons over DTLS with the given CoAP timers and Server-object lifetime. */
export async function givenDaemonPair(o: { serverLifetime: number; coapTimers: Record<string, number> }): Promise<DaemonPair> {
  const store = createInMemorySecurityStore()
  const bootstrap = createBootstrapDaemon({
    security: store,
    transport: createDaemonTransport({ side: 'bootstrap', security: store, logger: silentLogger(), port: 0 }),
    logger: silentLogger(),
    config: { serverLifetime: o.serverLifetime, coapTimers: o.coapTimers },
  })
  const server = createServerDaemon({
    security: store,
    transport: createDaemonTransport({ side: 'server', security: store, logger: silentLogger(), port: 0 }),
    logger: silentLogger(),
    config: { coapTimers: o.coapTimers },
  })
  const bsUri = `coaps://127.0.0.1:${(await bootstrap.start()).address.port}`
  const srvUri = `coaps://127.0.0.1:${(await server.start()).address.port}`
  return {
    store,
    bootstrap,
    server,
    bsUri,
    srvUri,
    provision: (endpoint) =>
      store.put({
        endpoint,
        bootstrap: { uri: bsUri, identity: `bs-${endpoint}`, key: enc(`bs-key-${endpoint}`) },
        server: { uri: srvUri, identity: `srv-${endpoint}`, key: enc(`srv-key-${endpoint}`) },
      }),
    async stop() {
      await bootstrap.stop()
      await server.stop()
    },
  }
}
