/**
 * Our endpoint as the client, libcoap's coap-server as the peer: requests, Block1/Block2 and
 * Observe against a third-party server, over UDP and over DTLS (our DTLS client, src/transport/dtls/client.ts, against libcoap's
 * OpenSSL and GnuTLS builds, with and without a PSK identity hint).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { createCoapEndpoint, type CoapEndpoint } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { givenEndpoint, text } from './coap-helpers.js'
import { freeUdpPortPair, untilUdpBound } from '../helpers/ports.js'

const KEY = 'Interop-PSK-0123'

async function startLibcoap(binary: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freeUdpPortPair()
  const child = spawn(binary, ['-A', '127.0.0.1', '-p', String(port), '-v', '0', ...args], { stdio: 'ignore' })
  // A peer that never came up is not left running.
  await untilUdpBound(port).catch((err: unknown) => {
    child.kill()
    throw err
  })
  return { port, child }
}

describe.skipIf(!existsSync('/usr/bin/coap-server-notls'))('our endpoint as client of libcoap coap-server-notls', () => {
  let server: { port: number; child: ChildProcess }
  let client: CoapEndpoint
  let peer: PeerAddress

  beforeAll(async () => {
    server = await startLibcoap('coap-server-notls', ['-d', '10'])
    peer = { address: '127.0.0.1', port: server.port }
    ;({ endpoint: client } = await givenEndpoint({ ackTimeoutMs: 1000 }))
  })
  afterAll(async () => {
    // The peer first: it must not outlive a run whose setup failed before the client existed.
    server?.child.kill()
    await client?.stop()
  })

  it('gets the index and discovers resources', async () => {
    const index = await client.request(peer, { method: 'GET' })
    expect(index.code).toBe('2.05')
    expect(text(index.payload)).toContain('libcoap')
    const core = await client.request(peer, { method: 'GET', path: ['.well-known', 'core'] })
    expect(core.contentFormat).toBe(40)
    expect(text(core.payload)).toContain('</time>')
  })

  it('puts 3000 bytes with Block1 and reads them back with Block2', async () => {
    const body = 'q'.repeat(1500) + 'r'.repeat(1500)
    const put = await client.request(peer, { method: 'PUT', path: ['example_data'], contentFormat: 0, payload: body })
    expect(put.code).toMatch(/^2\.0[14]$/)
    const get = await client.request(peer, { method: 'GET', path: ['example_data'] })
    expect(text(get.payload)).toBe(body)
  })

  it('gets the error code of a method the server does not allow', async () => {
    expect((await client.request(peer, { method: 'POST', payload: 'x' })).code).toBe('4.05')
  })

  it('observes /time, receives a notification, and cancels', async () => {
    const notifications: string[] = []
    const obs = await client.observe(peer, { method: 'GET', path: ['time'] }, (n) => notifications.push(text(n.payload)))
    expect(obs.first.observe).toBeTypeOf('number')
    const deadline = Date.now() + 5000
    while (notifications.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(notifications.length).toBeGreaterThan(0)
    await obs.cancel()
    expect(obs.active).toBe(false)
  })
})

for (const [binary, hint] of [
  ['coap-server-openssl', ''],
  ['coap-server-openssl', 'lwchain-hint'],
  ['coap-server-gnutls', ''],
  ['coap-server-gnutls', 'lwchain-hint'],
] as const) {
  describe.skipIf(!existsSync(`/usr/bin/${binary}`))(`our endpoint over our DTLS client as client of ${binary}${hint ? ' (identity hint)' : ''}`, () => {
    let server: { port: number; child: ChildProcess }

    beforeAll(async () => {
      // `-h ''` sends no ServerKeyExchange; a hint makes the server send one.
      server = await startLibcoap(binary, ['-k', KEY, '-h', hint, '-d', '10'])
    })
    afterAll(() => {
      server?.child.kill()
    })

    it('gets the index and moves a Block1/Block2 body over coaps', async () => {
      const peer = { address: '127.0.0.1', port: server.port + 1 }
      const client = createCoapEndpoint({
        transport: createDtlsClientTransport({ peer, identity: 'lwchain', key: new TextEncoder().encode(KEY) }),
        logger: silentLogger(),
        ackTimeoutMs: 1000,
      })
      await client.start()
      try {
        expect(text((await client.request(peer, { method: 'GET' })).payload)).toContain('libcoap')
        const body = 's'.repeat(2500)
        await client.request(peer, { method: 'PUT', path: ['example_data'], contentFormat: 0, payload: body })
        expect(text((await client.request(peer, { method: 'GET', path: ['example_data'] })).payload)).toBe(body)
      } finally {
        await client.stop()
      }
    })
  })
}
