/**
 * Our DTLS client (src/transport/dtls/client.ts) against servers we did not write (OpenSSL's
 * s_server; libcoap's OpenSSL and GnuTLS servers are in coap-client-interop.test.ts) and against
 * our own server through a lossy relay: the handshake must complete by retransmission.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { createDtlsClientTransport, type DtlsClientCipher } from '../../src/transport/dtls/client.js'
import { HandshakeType } from '../../src/transport/dtls/handshake.js'
import { ContentType, parseRecords } from '../../src/transport/dtls/record.js'
import type { DatagramTransport, PeerAddress } from '../../src/transport/types.js'
import { freeUdpPortPair } from '../helpers/ports.js'
import { givenServer, IDENTITY, KEY, memoryLogger, until } from './dtls-helpers.js'
import { dropFirst, lossyRelay } from './lossy-relay.js'

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0

/** True for a datagram whose first record is an epoch-0 handshake message of `type`. */
const startsWith = (type: number) => (d: Buffer): boolean => {
  const r = parseRecords(d)[0]
  return r?.type === ContentType.handshake && r.epoch === 0 && r.fragment[0] === type
}
/** The server's final flight starts with its ChangeCipherSpec. */
const isChangeCipherSpec = (d: Buffer): boolean => parseRecords(d)[0]?.type === ContentType.changeCipherSpec

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Resolves with the text of the next datagram the client receives. */
function nextDatagram(c: DatagramTransport): Promise<string> {
  return new Promise((resolve) => c.onDatagram((d) => resolve(Buffer.from(d.data).toString())))
}

interface OpensslServer {
  address: PeerAddress
  output(): string
  child: ChildProcess
}

/** `openssl s_server -dtls1_2 -nocert` with PSK on a free loopback port, once it accepts. */
async function startOpenssl(args: string[], psk: Buffer = KEY): Promise<OpensslServer> {
  const port = await freeUdpPortPair()
  const child = spawn('openssl', ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-nocert', '-psk_identity', IDENTITY, '-psk', psk.toString('hex'), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  cleanups.push(() => child.kill('SIGTERM'))
  await until(() => out.includes('ACCEPT'), 10_000)
  return { address: { address: '127.0.0.1', port }, output: () => out, child }
}

describe.skipIf(!has('openssl'))('our client with openssl s_server', () => {
  const suites: Array<[DtlsClientCipher, string]> = [
    ['TLS_PSK_WITH_AES_128_CCM_8', 'PSK-AES128-CCM8'],
    ['TLS_PSK_WITH_AES_128_CBC_SHA256', 'PSK-AES128-CBC-SHA256'],
  ]
  for (const [ours, theirs] of suites) {
    it(`completes the cookie exchange and handshake with ${theirs}, with extended master secret, and exchanges data both ways`, async () => {
      const srv = await startOpenssl(['-cipher', theirs])
      const { logger, lines } = memoryLogger()
      const c = createDtlsClientTransport({ peer: srv.address, identity: IDENTITY, key: KEY, ciphers: [ours], logger, timeoutMs: 15_000 })
      cleanups.push(() => c.close())
      const reply = nextDatagram(c)
      const local = await c.listen()
      expect(local.address).toBe('127.0.0.1')
      await c.send(srv.address, Buffer.from(`to-openssl-${theirs}\n`))
      await until(() => srv.output().includes(`to-openssl-${theirs}`), 10_000)
      srv.child.stdin!.write('from-openssl\n')
      expect(await reply).toBe('from-openssl\n')
      const established = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'DTLS client session established')
      expect(established).toMatchObject({ ems: true, suite: ours === 'TLS_PSK_WITH_AES_128_CCM_8' ? 0xc0a8 : 0x00ae })
      // OpenSSL's s_server always asks for a cookie: our client went through a HelloVerifyRequest.
      expect(srv.output()).not.toMatch(/error|alert/i)
    })
  }

  it('takes a ServerKeyExchange with an identity hint', async () => {
    const srv = await startOpenssl(['-cipher', 'PSK-AES128-CCM8', '-psk_hint', 'some-hint'])
    const c = createDtlsClientTransport({ peer: srv.address, identity: IDENTITY, key: KEY, timeoutMs: 15_000 })
    cleanups.push(() => c.close())
    await c.listen()
    await c.send(srv.address, Buffer.from('hinted\n'))
    await until(() => srv.output().includes('hinted'), 10_000)
  })

  it('does not get a session with a wrong key', async () => {
    const srv = await startOpenssl(['-cipher', 'PSK-AES128-CCM8'], Buffer.from('another-key'))
    const c = createDtlsClientTransport({ peer: srv.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 200, timeoutMs: 2_000 })
    cleanups.push(() => c.close())
    // OpenSSL silently drops DTLS records that do not authenticate (our Finished, under another
    // key), as RFC 6347 4.1.2.7 allows: the client gets no alert and runs out of time.
    await expect(c.listen()).rejects.toMatchObject({ code: 'LWC_DTLS_HANDSHAKE_TIMEOUT' })
  })

  it('resends its final flight when the server Finished is lost, and openssl answers with its Finished again', async () => {
    const srv = await startOpenssl(['-cipher', 'PSK-AES128-CCM8'])
    const relay = await lossyRelay(srv.address, { fromServer: dropFirst(isChangeCipherSpec) })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 300, timeoutMs: 15_000 })
    cleanups.push(() => c.close())
    await c.listen()
    expect(relay.fromServer.filter(isChangeCipherSpec).length).toBeGreaterThanOrEqual(2)
    expect(relay.fromClient.filter(startsWith(HandshakeType.clientKeyExchange)).length).toBeGreaterThanOrEqual(2)
    await c.send(relay.address, Buffer.from('after-loss\n'))
    await until(() => srv.output().includes('after-loss'), 10_000)
  })
})

describe('our client with our server, through a lossy relay', () => {
  it('completes when its final flight is lost once: its own timer resends it', async () => {
    // The server's timer is far too slow to help: recovery can only come from the client.
    const s = await givenServer({ retransmitInitialMs: 30_000 })
    cleanups.push(() => s.transport.close())
    const relay = await lossyRelay(s.address, { fromClient: dropFirst(startsWith(HandshakeType.clientKeyExchange)) })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 200, timeoutMs: 20_000 })
    cleanups.push(() => c.close())
    const reply = nextDatagram(c)
    await c.listen()
    // Two or more: on a loaded machine the timer may fire again before the server's answer is in.
    expect(relay.fromClient.filter(startsWith(HandshakeType.clientKeyExchange)).length).toBeGreaterThanOrEqual(2)
    await c.send(relay.address, Buffer.from('x'))
    expect(await reply).toBe('echo:x')
  })

  it('completes when the server Finished is lost once: the resent final flight makes the server resend it', async () => {
    const s = await givenServer({ retransmitInitialMs: 30_000 })
    cleanups.push(() => s.transport.close())
    const relay = await lossyRelay(s.address, { fromServer: dropFirst(isChangeCipherSpec) })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 200, timeoutMs: 20_000 })
    cleanups.push(() => c.close())
    await c.listen()
    expect(relay.fromServer.filter(isChangeCipherSpec).length).toBeGreaterThanOrEqual(2)
    expect(s.transport.stats()).toMatchObject({ sessions: 1, handshakesCompleted: 1 })
  })

  it('answers a retransmitted server flight at once instead of waiting for its own timer', async () => {
    // Now the client's timer is the slow one: only the server's resent ServerHello flight can
    // tell the client that its final flight was lost.
    const s = await givenServer({ retransmitInitialMs: 200 })
    cleanups.push(() => s.transport.close())
    const relay = await lossyRelay(s.address, { fromClient: dropFirst(startsWith(HandshakeType.clientKeyExchange)) })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 60_000, timeoutMs: 20_000 })
    cleanups.push(() => c.close())
    await c.listen()
    expect(relay.fromServer.filter(startsWith(HandshakeType.serverHello)).length).toBeGreaterThanOrEqual(2)
    expect(relay.fromClient.filter(startsWith(HandshakeType.clientKeyExchange)).length).toBeGreaterThanOrEqual(2)
  })

  it('completes when its first ClientHello and the HelloVerifyRequest are each lost once', async () => {
    const s = await givenServer({ retransmitInitialMs: 30_000 })
    cleanups.push(() => s.transport.close())
    const relay = await lossyRelay(s.address, {
      fromClient: dropFirst(startsWith(HandshakeType.clientHello)),
      fromServer: dropFirst(startsWith(HandshakeType.helloVerifyRequest)),
    })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 200, timeoutMs: 20_000 })
    cleanups.push(() => c.close())
    await c.listen()
    expect(relay.fromClient.filter(startsWith(HandshakeType.clientHello)).length).toBeGreaterThanOrEqual(3)
  })

  it('gives up with a typed timeout after its bounded resends when every final flight is lost', async () => {
    const s = await givenServer({ retransmitInitialMs: 30_000 })
    cleanups.push(() => s.transport.close())
    const relay = await lossyRelay(s.address, { fromClient: startsWith(HandshakeType.clientKeyExchange) })
    cleanups.push(() => relay.close())
    const c = createDtlsClientTransport({ peer: relay.address, identity: IDENTITY, key: KEY, retransmitInitialMs: 50, maxRetransmits: 3, timeoutMs: 20_000 })
    cleanups.push(() => c.close())
    await expect(c.listen()).rejects.toMatchObject({ code: 'LWC_DTLS_HANDSHAKE_TIMEOUT', details: 'no answer after 3 resends' })
    // The first flight and three resends, each at twice the previous interval.
    expect(relay.fromClient.filter(startsWith(HandshakeType.clientKeyExchange))).toHaveLength(4)
  })
})
