/**
 * Builders for the server daemon tests: a daemon on 127.0.0.1 port 0 with short timers over an
 * in-memory security store, and a hand-driven device (our DTLS client transport + CoAP endpoint)
 * that sends registration messages as written and answers a few resources.
 */
import { silentLogger } from '../../src/logger.js'
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import { parsePath, toPath, type LwM2mPath } from '../../src/lwm2m/path.js'
import type { LwM2mNode, SingleResource } from '../../src/lwm2m/node.js'
import { createInMemorySecurityStore, type ClientSecurity, type InMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { createServerDaemon, type ServerDaemon, type ServerDaemonConfig } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import {
  createCoapEndpoint,
  createDtlsClientTransport,
  createUdpTransport,
  type CoapEndpoint,
  type CoapObserveRelation,
  type CoapRequestInit,
  type CoapResponse,
} from '../../src/transport/index.js'
import type { PeerAddress } from '../../src/transport/types.js'

export const models = loadDefaultModels()
const enc = new TextEncoder()

/** A client record with printable keys (libcoap takes keys as ASCII). */
export function clientRecord(endpoint: string, serverUri = 'coaps://127.0.0.1:5684'): ClientSecurity {
  return {
    endpoint,
    version: 1,
    bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${endpoint}`, key: enc.encode(`bskey-${endpoint}`) },
    server: { uri: serverUri, identity: `id-${endpoint}`, key: enc.encode(`key-${endpoint}`) },
  }
}

export interface GivenServer {
  daemon: ServerDaemon
  security: InMemorySecurityStore
  address: PeerAddress
  httpUrl?: string
}

/** Starts a server daemon on port 0 with the given clients. */
export async function givenServer(clients: ClientSecurity[], config: ServerDaemonConfig & { dtls?: boolean } = {}): Promise<GivenServer> {
  const security = createInMemorySecurityStore(clients)
  const { dtls, ...daemonConfig } = config
  const daemon = createServerDaemon({
    security,
    transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0, dtls }),
    logger: silentLogger(),
    models,
    config: { coapTimers: { ackTimeoutMs: 300, maxRetransmit: 2, responseTimeoutMs: 3000 }, sweepIntervalMs: 100, ...daemonConfig },
  })
  const started = await daemon.start()
  return { daemon, security, address: started.address, httpUrl: started.http?.url }
}

/** A device driven by hand: raw registration messages, and a few resources it answers. */
export interface HandDevice {
  coap: CoapEndpoint
  request(req: CoapRequestInit): Promise<CoapResponse>
  /** Register with the given query and links; resolves with the response. */
  register(query: string[], links?: string): Promise<CoapResponse>
  values: Map<string, SingleResource>
  executed: string[]
  setValue(path: string, value: number | string): void
  stop(): Promise<void>
}

/** Opens a DTLS session (or plain UDP when identity is undefined) to the server, as a device. */
export async function handDevice(server: PeerAddress, identity: string | undefined, key?: Uint8Array): Promise<HandDevice> {
  const transport = identity === undefined
    ? createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() })
    : createDtlsClientTransport({ peer: server, identity, key: key!, timeoutMs: 3000 })
  const coap = createCoapEndpoint({ transport, logger: silentLogger(), ackTimeoutMs: 300, maxRetransmit: 2, responseTimeoutMs: 3000 })
  const values = new Map<string, SingleResource>([
    ['/3/0/0', { kind: 'resource', id: 0, type: 'string', value: 'Acme' }],
    ['/3303/0/5700', { kind: 'resource', id: 5700, type: 'float', value: 21.5 }],
  ])
  const executed: string[] = []
  const observers = new Map<string, CoapObserveRelation>()
  coap.onRequest((req, ctx) => {
    const text = '/' + req.path.join('/')
    let path: LwM2mPath
    try {
      path = parsePath(text)
    } catch {
      return { code: '4.04' }
    }
    const current = values.get(text)
    if (req.method === 'GET') {
      if (!current) return { code: '4.04' }
      const format = req.accept ?? 11542
      const payload = codecFor(format).encode(current, path, models)
      if (req.observe === 0 && ctx.acceptObserve) observers.set(text, ctx.acceptObserve())
      return { code: '2.05', contentFormat: format, payload }
    }
    if (req.method === 'PUT') {
      if (!current) return { code: '4.04' }
      const node = codecFor(req.contentFormat ?? 11542).decode(req.payload, path, models) as LwM2mNode
      if (node.kind !== 'resource') return { code: '4.00' }
      values.set(text, node)
      return { code: '2.04' }
    }
    if (req.method === 'POST' && path.resourceId !== undefined) {
      executed.push(text)
      return { code: '2.04' }
    }
    return { code: '4.05' }
  })
  await coap.start()
  const request = (req: CoapRequestInit) => coap.request(server, req)
  return {
    coap,
    request,
    register: (query, links = '</1/0>,</3/0>,</3303/0>') =>
      request({ method: 'POST', path: ['rd'], query, contentFormat: 40, payload: links }),
    values,
    executed,
    setValue(p, value) {
      const old = values.get(p)!
      values.set(p, { ...old, value })
      const path = toPath(p.split('/').slice(1).map(Number))
      const rel = observers.get(p)
      if (rel && !rel.closed) {
        void rel.notify({ code: '2.05', contentFormat: 11542, payload: codecFor(11542).encode(values.get(p)!, path, models) }).catch(() => {})
      }
    },
    stop: () => coap.stop(),
  }
}

/** Resolves when `check` holds, polling every 20 ms (no timed assertion: the test timeout bounds it). */
export async function eventually(check: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (;;) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
    void what
  }
}
