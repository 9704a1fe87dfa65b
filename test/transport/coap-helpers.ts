/** Builders shared by the CoAP endpoint tests: endpoints on 127.0.0.1:0, raw peers, a lossy proxy. */
import dgram from 'node:dgram'
import { silentLogger } from '../../src/logger.js'
import { createCoapEndpoint, decodeMessage, encodeMessage, type CoapEndpoint, type CoapEndpointOptions, type CoapMessage } from '../../src/transport/coap/index.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import type { PeerAddress } from '../../src/transport/types.js'

export const FAST = { ackTimeoutMs: 50, ackRandomFactor: 1.2, maxRetransmit: 3, piggybackDelayMs: 100, responseTimeoutMs: 2000, exchangeLifetimeMs: 10_000 }

/** A started endpoint over UDP with short timers. */
export async function givenEndpoint(opts: Partial<Omit<CoapEndpointOptions, 'transport' | 'logger'>> = {}): Promise<{ endpoint: CoapEndpoint; address: PeerAddress }> {
  const endpoint = createCoapEndpoint({ transport: createUdpTransport({ logger: silentLogger() }), logger: silentLogger(), ...FAST, ...opts })
  const address = await endpoint.start()
  return { endpoint, address }
}

/** A bare UDP socket that speaks CoAP by hand (lock-step tests). */
export interface RawPeer {
  readonly address: PeerAddress
  send(to: PeerAddress, msg: CoapMessage | Uint8Array): void
  /** Next decoded message received (waits). */
  next(timeoutMs?: number): Promise<{ msg: CoapMessage; from: PeerAddress }>
  /** Whether anything arrives within ms. */
  silentFor(ms: number): Promise<boolean>
  close(): Promise<void>
}

export async function givenRawPeer(): Promise<RawPeer> {
  const socket = dgram.createSocket('udp4')
  const queue: Array<{ msg: CoapMessage; from: PeerAddress }> = []
  const waiters: Array<() => void> = []
  socket.on('message', (data, rinfo) => {
    queue.push({ msg: decodeMessage(new Uint8Array(data)), from: { address: rinfo.address, port: rinfo.port } })
    waiters.splice(0).forEach((w) => w())
  })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  const a = socket.address()
  return {
    address: { address: a.address, port: a.port },
    send(to, msg) {
      const bytes = msg instanceof Uint8Array ? msg : encodeMessage(msg)
      socket.send(bytes, to.port, to.address)
    },
    async next(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error('raw peer: nothing received')
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 50)
        })
      }
      return queue.shift()!
    },
    async silentFor(ms) {
      await new Promise((r) => setTimeout(r, ms))
      return queue.length === 0
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  }
}

/**
 * A UDP proxy between one client and a server that drops the first `dropToServer` datagrams
 * going to the server and the first `dropToClient` going back.
 */
export async function givenLossyProxy(server: PeerAddress, dropToServer: number, dropToClient: number): Promise<{ address: PeerAddress; dropped: () => number; close(): Promise<void> }> {
  const front = dgram.createSocket('udp4')
  const back = dgram.createSocket('udp4')
  let client: PeerAddress | undefined
  let toServer = 0
  let toClient = 0
  let dropped = 0
  front.on('message', (data, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port }
    if (toServer++ < dropToServer) return void dropped++
    back.send(data, server.port, server.address)
  })
  back.on('message', (data) => {
    if (!client) return
    if (toClient++ < dropToClient) return void dropped++
    front.send(data, client.port, client.address)
  })
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r))
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r))
  return {
    address: { address: '127.0.0.1', port: front.address().port },
    dropped: () => dropped,
    close: async () => {
      await new Promise<void>((r) => front.close(() => r()))
      await new Promise<void>((r) => back.close(() => r()))
    },
  }
}

export const text = (b: Uint8Array) => new TextDecoder().decode(b)
export const utf8 = (s: string) => new TextEncoder().encode(s)
