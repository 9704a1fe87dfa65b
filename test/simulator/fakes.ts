/**
 * Minimal bootstrap and LwM2M servers for the device tests, built from our CoAP endpoint over the
 * DTLS server transport with an in-memory PSK table. They do only what a test asks of them.
 */
import pino from 'pino'
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import type { LwM2mNode, ObjectInstanceNode, ResourceNode } from '../../src/lwm2m/node.js'
import { parsePath } from '../../src/lwm2m/path.js'
import {
  createCoapEndpoint,
  createDtlsTransport,
  createUdpTransport,
  type CoapEndpoint,
  type CoapRequest,
  type CoapRequestInit,
  type CoapResponse,
  type CoapResponseInit,
} from '../../src/transport/index.js'
import type { PeerAddress } from '../../src/transport/types.js'

export const models = loadDefaultModels()
export const logger = pino({ level: 'silent' })
/** Short CoAP timers for devices and fakes. */
export const FAST = { ackTimeoutMs: 200, maxRetransmit: 2 }

export interface Psk {
  identity: string
  key: Uint8Array
}

export function psk(identity: string): Psk {
  return { identity, key: new TextEncoder().encode(`key-of-${identity}`) }
}

/** What a fake saw: one request with the peer and authenticated identity. */
export interface Seen {
  req: CoapRequest
  peer: PeerAddress
  identity?: string
}

interface FakeBase {
  endpoint: CoapEndpoint
  address: PeerAddress
  uri: string
  seen: Seen[]
  keys: Map<string, Uint8Array>
  /** Ends a peer's DTLS session (close_notify), as revocation does. */
  closeSession(peer: PeerAddress): void
  stop(): Promise<void>
}

async function fake(keys: Psk[], handler: (req: CoapRequest, peer: PeerAddress, identity?: string) => CoapResponseInit | Promise<CoapResponseInit>, dtls = true) {
  const table = new Map(keys.map((k) => [k.identity, k.key]))
  const transport = dtls
    ? createDtlsTransport({ host: '127.0.0.1', port: 0, logger, pskLookup: async (id) => table.get(id), retransmitInitialMs: 100 })
    : createUdpTransport({ host: '127.0.0.1', port: 0, logger })
  const endpoint = createCoapEndpoint({ transport, logger, ...FAST })
  const seen: Seen[] = []
  endpoint.onRequest((req, ctx) => {
    seen.push({ req, peer: ctx.peer, identity: ctx.identity })
    return handler(req, ctx.peer, ctx.identity)
  })
  const address = await endpoint.start()
  const base: FakeBase = {
    endpoint,
    address,
    uri: `${dtls ? 'coaps' : 'coap'}://127.0.0.1:${address.port}`,
    seen,
    keys: table,
    closeSession: (peer) => transport.closeSession(peer, 'revoked'),
    stop: () => endpoint.stop(),
  }
  return { base, transport }
}

/** One step of a bootstrap script: a CoAP request to the device, with the answer recorded. */
export type BootstrapStep = CoapRequestInit

export interface FakeBootstrapServer extends FakeBase {
  /** Answers of each step of each bootstrap, in order. */
  answers: CoapResponse[][]
  /** Resolves when `n` bootstraps finished (Bootstrap-Finish answered). */
  finished(n?: number): Promise<void>
  /** Replaces the script for the next bootstraps. */
  setScript(script: (ep: string, query: readonly string[]) => BootstrapStep[]): void
}

/** A bootstrap server that answers POST /bs with 2.04 and then plays a script of requests. */
export async function givenBootstrapServer(
  keys: Psk[],
  script: (ep: string, query: readonly string[]) => BootstrapStep[],
  opts: { dtls?: boolean; pack?: { format: number; payload: Uint8Array } } = {},
): Promise<FakeBootstrapServer> {
  const answers: CoapResponse[][] = []
  const waiters: Array<{ n: number; resolve: () => void }> = []
  let current = script
  let done = 0
  const { base } = await fake(
    keys,
    (req, peer) => {
      if (req.method === 'GET' && req.path.join('/') === 'bspack' && opts.pack) return { code: '2.05', contentFormat: opts.pack.format, payload: opts.pack.payload }
      if (req.method !== 'POST' || req.path.join('/') !== 'bs') return { code: '4.04' }
      const ep = req.query.find((q) => q.startsWith('ep='))?.slice(3) ?? ''
      const steps = current(ep, req.query)
      setTimeout(async () => {
        const list: CoapResponse[] = []
        answers.push(list)
        for (const step of steps) {
          try {
            list.push(await base.endpoint.request(peer, step))
          } catch {
            break
          }
        }
        done++
        for (const w of waiters.filter((w) => done >= w.n)) w.resolve()
      }, 5)
      return { code: '2.04' }
    },
    opts.dtls ?? true,
  )
  return {
    ...base,
    answers,
    finished: (n = 1) => (done >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    setScript: (s) => {
      current = s
    },
  }
}

/** The usual bootstrap: delete all, write the server's Security and Server instances, finish. */
export function standardScript(server: { uri: string; psk: Psk; lifetime?: number; format?: number }): (ep: string) => BootstrapStep[] {
  const format = server.format ?? ContentFormat.TLV
  return () => [
    { method: 'DELETE', path: [] },
    write('/0/1', securityInstance(1, server.uri, server.psk, 101), format),
    write('/1/0', serverInstance(0, 101, server.lifetime ?? 300), format),
    { method: 'POST', path: ['bs'] },
  ]
}

/** A Bootstrap-Write (PUT) of an instance in `format`. */
export function write(path: string, node: LwM2mNode, format: number): BootstrapStep {
  const p = parsePath(path)
  return { method: 'PUT', path: path.split('/').filter(Boolean), contentFormat: format, payload: codecFor(format).encode(node, p, models) }
}

function res(id: number, type: ResourceNode['type'], value: unknown): [number, ResourceNode] {
  return [id, { kind: 'resource', id, type, value } as ResourceNode]
}

/** A Security instance for an LwM2M server account (PSK). */
export function securityInstance(id: number, uri: string, p: Psk, ssid: number): ObjectInstanceNode {
  return {
    kind: 'instance',
    id,
    resources: new Map([
      res(0, 'string', uri),
      res(1, 'boolean', false),
      res(2, 'integer', 0),
      res(3, 'opaque', new TextEncoder().encode(p.identity)),
      res(5, 'opaque', p.key),
      res(10, 'integer', ssid),
    ]),
  }
}

/** A Server instance. */
export function serverInstance(id: number, ssid: number, lifetime: number): ObjectInstanceNode {
  return {
    kind: 'instance',
    id,
    resources: new Map([res(0, 'integer', ssid), res(1, 'unsigned', lifetime), res(6, 'boolean', false), res(7, 'string', 'U')]),
  }
}

/** One registration the fake server holds. */
export interface FakeRegistration {
  id: string
  ep: string
  query: readonly string[]
  links: string
  peer: PeerAddress
  identity?: string
  updates: number
  /** Query and payload of the last Update. */
  lastUpdate?: { query: readonly string[]; links: string }
}

export interface FakeServer extends FakeBase {
  registrations: Map<string, FakeRegistration>
  deregistered: string[]
  /** What the next Register (or Update) answers instead of success. */
  refuseRegister?: string
  refuseUpdate?: string
  /** Accept `lwm2m=1.2` registrations (else 4.12). */
  speaks12?: boolean
  /** Sends a request to a registered endpoint through its session. */
  request(ep: string, init: CoapRequestInit): Promise<CoapResponse>
  observe(ep: string, init: CoapRequestInit, on: (r: CoapResponse) => void): ReturnType<CoapEndpoint['observe']>
  /** The registration of an endpoint, if any. */
  reg(ep: string): FakeRegistration | undefined
}

/** An LwM2M server with a registration interface and nothing else. */
export async function givenServer(keys: Psk[], opts: { dtls?: boolean } = {}): Promise<FakeServer> {
  const registrations = new Map<string, FakeRegistration>()
  const deregistered: string[] = []
  let next = 1
  const self = {} as FakeServer
  const { base } = await fake(
    keys,
    (req, peer, identity) => {
      const path = req.path.join('/')
      if (req.method === 'POST' && path === 'rd') {
        if (self.refuseRegister) return { code: self.refuseRegister }
        if (req.query.includes('lwm2m=1.2') && !self.speaks12) return { code: '4.12' }
        const ep = req.query.find((q) => q.startsWith('ep='))?.slice(3) ?? ''
        for (const [id, r] of registrations) if (r.ep === ep) registrations.delete(id)
        const id = String(next++)
        registrations.set(id, { id, ep, query: req.query, links: new TextDecoder().decode(req.payload), peer, identity, updates: 0 })
        return { code: '2.01', locationPath: ['rd', id] }
      }
      const m = /^rd\/(\w+)$/.exec(path)
      const r = m ? registrations.get(m[1]) : undefined
      if (req.method === 'POST' && m) {
        if (self.refuseUpdate) return { code: self.refuseUpdate }
        if (!r) return { code: '4.04' }
        r.updates++
        r.peer = peer
        r.lastUpdate = { query: req.query, links: new TextDecoder().decode(req.payload) }
        if (r.lastUpdate.links) r.links = r.lastUpdate.links
        return { code: '2.04' }
      }
      if (req.method === 'DELETE' && m) {
        if (!r) return { code: '4.04' }
        registrations.delete(r.id)
        deregistered.push(r.ep)
        return { code: '2.02' }
      }
      return { code: '4.04' }
    },
    opts.dtls ?? true,
  )
  const reg = (ep: string): FakeRegistration | undefined => [...registrations.values()].find((r) => r.ep === ep)
  const need = (ep: string): FakeRegistration => {
    const r = reg(ep)
    if (!r) throw new Error(`${ep} is not registered`)
    return r
  }
  return Object.assign(self, base, {
    registrations,
    deregistered,
    reg,
    request: (ep: string, init: CoapRequestInit) => base.endpoint.request(need(ep).peer, init),
    observe: (ep: string, init: CoapRequestInit, on: (r: CoapResponse) => void) => base.endpoint.observe(need(ep).peer, init, on),
  })
}

/** Polls until `fn` holds. */
export async function until(fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
