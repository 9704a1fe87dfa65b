/**
 * A hand-driven bootstrap client for the bootstrap daemon's tests: our DTLS client (or UDP) +
 * our CoAP endpoint, answering Bootstrap-Delete / Discover / Write / Finish the way an LwM2M
 * client does, and recording what it was told.
 */
import { codecFor } from '../../src/lwm2m/codec/index.js'
import { loadDefaultModels } from '../../src/lwm2m/models/registry.js'
import type { ObjectInstanceNode, ResourceValue } from '../../src/lwm2m/node.js'
import { silentLogger } from '../../src/logger.js'
import { createCoapEndpoint, type CoapEndpoint, type CoapRequest, type CoapResponse } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import type { PeerAddress } from '../../src/transport/types.js'

/** Short CoAP timers so a silent peer fails fast in tests. */
export const FAST_TIMERS = { ackTimeoutMs: 200, ackRandomFactor: 1, maxRetransmit: 2, responseTimeoutMs: 2_000 }

export interface ReceivedWrite {
  path: string
  contentFormat?: number
  instance: ObjectInstanceNode
}

export interface BootstrapClient {
  coap: CoapEndpoint
  /** Requests received from the bootstrap server, as "METHOD /path". */
  log: string[]
  writes: ReceivedWrite[]
  /** Resolves when Bootstrap-Finish arrives. */
  finished: Promise<void>
  /** Sends POST /bs?ep=...(&pct=...). */
  requestBootstrap(endpoint: string, pct?: number): Promise<CoapResponse>
  /** Values of an instance written at `path` (e.g. "/0/1"), by resource id. */
  values(path: string): Map<number, ResourceValue>
  stop(): Promise<void>
}

export interface BootstrapClientOptions {
  server: PeerAddress
  /** DTLS credentials; omitted = plain UDP. */
  identity?: string
  key?: Uint8Array
  /** Security instance ids the client keeps after Delete /0 (its bootstrap account); default [0]. */
  bootstrapInstances?: number[]
  /** Answer Bootstrap-Discover with 4.04 (a client that does not implement it). */
  noDiscover?: boolean
}

/** Connects (DTLS handshake when credentials are given) and starts answering. */
export async function startBootstrapClient(o: BootstrapClientOptions): Promise<BootstrapClient> {
  const models = loadDefaultModels()
  const transport =
    o.identity !== undefined && o.key
      ? createDtlsClientTransport({ peer: o.server, identity: o.identity, key: o.key, timeoutMs: 3_000 })
      : createUdpTransport({ host: '127.0.0.1', port: 0, logger: silentLogger() })
  const coap = createCoapEndpoint({ transport, logger: silentLogger(), ...FAST_TIMERS })
  const log: string[] = []
  const writes: ReceivedWrite[] = []
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const kept = o.bootstrapInstances ?? [0]

  coap.onRequest((req: CoapRequest) => {
    const path = '/' + req.path.join('/')
    log.push(`${req.method} ${path}`)
    if (req.method === 'DELETE') return { code: '2.02' }
    if (req.method === 'GET' && req.accept === 40) {
      if (o.noDiscover) return { code: '4.04' }
      // The bootstrap account is all that is left of /0 after the delete; it carries no ssid.
      return { code: '2.05', contentFormat: 40, payload: ['</>;lwm2m=1.1', ...kept.map((i) => `</0/${i}>`)].join(',') }
    }
    if (req.method === 'PUT') {
      const ids = req.path.map(Number)
      const node = codecFor(req.contentFormat ?? 11542).decode(req.payload, { objectId: ids[0], instanceId: ids[1] }, models)
      writes.push({ path, contentFormat: req.contentFormat, instance: node as ObjectInstanceNode })
      return { code: '2.04' }
    }
    if (req.method === 'POST' && path === '/bs') {
      finish()
      return { code: '2.04' }
    }
    return { code: '4.05' }
  })
  await coap.start()
  return {
    coap,
    log,
    writes,
    finished,
    requestBootstrap: (endpoint, pct) =>
      coap.request(o.server, { method: 'POST', path: ['bs'], query: [`ep=${endpoint}`, ...(pct === undefined ? [] : [`pct=${pct}`])] }),
    values(path) {
      const w = writes.find((x) => x.path === path)
      if (!w) throw new Error(`nothing written at ${path}; got ${writes.map((x) => x.path).join(', ')}`)
      return new Map([...w.instance.resources].map(([id, r]) => [id, r.kind === 'resource' ? r.value : null]))
    },
    stop: () => coap.stop(),
  }
}

/** Waits until `predicate` holds, polling (for effects that arrive asynchronously). */
export async function eventually(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const text = (b: Uint8Array | ResourceValue | undefined): string => new TextDecoder().decode(b as Uint8Array)
