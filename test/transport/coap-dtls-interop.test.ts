/**
 * Interop over DTLS: libcoap clients (OpenSSL and GnuTLS builds) and our own DTLS client against our
 * DTLS server + CoAP endpoint, and the server requesting back through the device's session.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { CoapSessionEndedError, createCoapEndpoint, type CoapEndpoint, type CoapRequest } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import { createDtlsTransport } from '../../src/transport/dtls/index.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { FAST, text } from './coap-helpers.js'

const run = promisify(execFile)
// libcoap 4.3 takes the key as ASCII: keep it printable.
const IDENTITY = 'device-1'
const KEY = 'Interop-PSK-0123'
const keyBytes = new TextEncoder().encode(KEY)

describe('CoAP over our DTLS server', () => {
  let server: CoapEndpoint
  let address: PeerAddress
  const received: Array<{ req: CoapRequest; identity?: string; peer: PeerAddress }> = []

  beforeAll(async () => {
    const transport = createDtlsTransport({
      logger: silentLogger(),
      pskLookup: async (id) => (id === IDENTITY ? keyBytes : undefined),
    })
    server = createCoapEndpoint({ transport, logger: silentLogger(), piggybackDelayMs: 1000 })
    server.onRequest((req, ctx) => {
      received.push({ req, identity: ctx.identity, peer: ctx.peer })
      return {
        code: req.method === 'GET' ? '2.05' : '2.04',
        contentFormat: 0,
        payload: `${req.method} ${req.path.join('/')} ${req.query.join('&')} [${text(req.payload)}] as ${ctx.identity}`,
      }
    })
    address = await server.start()
  })
  afterAll(() => server.stop())

  const uri = (pathAndQuery: string) => `coaps://127.0.0.1:${address.port}${pathAndQuery}`

  for (const binary of ['coap-client-openssl', 'coap-client-gnutls']) {
    describe.skipIf(!existsSync(`/usr/bin/${binary}`))(binary, () => {
      const client = async (...args: string[]) => (await run(binary, ['-u', IDENTITY, '-k', KEY, ...args], { timeout: 25_000 })).stdout.trim()

      it('gets a resource with Uri-Query over coaps', async () => {
        expect(await client('-m', 'get', uri('/3/0?x=1'))).toBe(`GET 3/0 x=1 [] as ${IDENTITY}`)
      })

      it('posts a registration with Uri-Query and payload over coaps', async () => {
        const out = await client('-m', 'post', '-t', '40', '-e', '</3/0>', uri('/rd?ep=dev1&lt=300&lwm2m=1.1&b=U'))
        expect(out).toBe(`POST rd ep=dev1&lt=300&lwm2m=1.1&b=U [</3/0>] as ${IDENTITY}`)
        expect(received.at(-1)!.req.contentFormat).toBe(40)
      })

      it('gets no answer with a wrong key', async () => {
        const before = received.length
        const out = await run(binary, ['-u', IDENTITY, '-k', 'Wrong-PSK-000000', '-B', '3', '-m', 'get', uri('/3/0')], { timeout: 25_000 }).then(
          (r) => r.stdout,
          () => '',
        )
        expect(out).not.toContain('as ')
        expect(received.length).toBe(before)
      })
    })
  }

  it('serves a device on our DTLS client and reads it back through the session it registered on', async () => {
    const device = createCoapEndpoint({
      transport: createDtlsClientTransport({ peer: address, identity: IDENTITY, key: keyBytes }),
      logger: silentLogger(),
      ...FAST,
      ackTimeoutMs: 1000,
    })
    device.onRequest((req) => ({ code: '2.05', contentFormat: 0, payload: `device value of ${req.path.join('/')}` }))
    await device.start()
    try {
      const res = await device.request(address, { method: 'POST', path: ['rd'], query: ['ep=dev1'], payload: '</3/0>' })
      expect(text(res.payload)).toBe(`POST rd ep=dev1 [</3/0>] as ${IDENTITY}`)
      const registeredFrom = received.at(-1)!.peer
      // The server now sends its own request to the device through that same DTLS session.
      const read = await server.request(registeredFrom, { method: 'GET', path: ['3', '0', '0'] })
      expect(text(read.payload)).toBe('device value of 3/0/0')
      // A large request and response through DTLS use Block1/Block2 like over UDP.
      const big = await device.request(address, { method: 'PUT', path: ['big'], payload: 'z'.repeat(3000) })
      expect(text(big.payload)).toBe(`PUT big  [${'z'.repeat(3000)}] as ${IDENTITY}`)
    } finally {
      await device.stop()
    }
  })

  it('survives garbage inside a DTLS session and keeps serving that peer', async () => {
    const transport = createDtlsClientTransport({ peer: address, identity: IDENTITY, key: keyBytes })
    const device = createCoapEndpoint({ transport, logger: silentLogger(), ...FAST })
    await device.start()
    try {
      for (const g of [[0xff], [0x40, 0x01, 0, 1, 0xf1], [0x4f, 1, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8]]) await transport.send(address, Uint8Array.from(g))
      const res = await device.request(address, { method: 'GET', path: ['after'] })
      expect(text(res.payload)).toBe(`GET after  [] as ${IDENTITY}`)
    } finally {
      await device.stop()
    }
  })

  it('rejects a pending request to a device whose DTLS session ends', async () => {
    const device = createCoapEndpoint({
      transport: createDtlsClientTransport({ peer: address, identity: IDENTITY, key: keyBytes }),
      logger: silentLogger(),
      ...FAST,
      piggybackDelayMs: 10,
    })
    device.onRequest(() => new Promise(() => {})) // acknowledges, never answers
    await device.start()
    await device.request(address, { method: 'POST', path: ['rd'] })
    const pending = server.request(received.at(-1)!.peer, { method: 'GET', path: ['3'] }).catch((e) => e)
    await new Promise((r) => setTimeout(r, 100)) // let the empty ACK arrive
    await device.stop() // close_notify
    const err = await pending
    expect(err).toBeInstanceOf(CoapSessionEndedError)
    expect(err.code).toBe('LWC_COAP_SESSION_ENDED')
  })
})
