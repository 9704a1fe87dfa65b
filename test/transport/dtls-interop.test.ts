/**
 * Interop: third-party DTLS clients (OpenSSL, GnuTLS, libcoap) against our server. These are the
 * proof that the handshake and record protection are right. Our own client (client.ts) is tested
 * here against our server too; dtls-client-interop.test.ts tests it against third-party servers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { HandshakeType } from '../../src/transport/dtls/handshake.js'
import { ContentType, parseRecords } from '../../src/transport/dtls/record.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDtlsClientTransport, type DtlsClientCipher } from '../../src/transport/dtls/client.js'
import { CipherSuite } from '../../src/transport/dtls/index.js'
import { givenServer, IDENTITY, KEY, until, type GivenServer } from './dtls-helpers.js'
import { lossyRelay } from './lossy-relay.js'

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0

let s: GivenServer
beforeAll(async () => {
  // MAC-then-encrypt on (opt-in, --dtls-mac-then-encrypt): -no_etm, %NO_ETM and our own client
  // run CBC without encrypt_then_mac, and that path must interoperate too.
  s = await givenServer({ cbcMacThenEncrypt: true })
})
afterAll(async () => {
  await s.transport.close()
})

/** Runs a client that writes `line` on stdin; resolves with its stdout once `expect` shows up. */
async function runClient(cmd: string, args: string[], line: string, expectOut: string): Promise<string> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  try {
    // Write once the handshake is done (the server then has a session with the client).
    const before = s.transport.stats().handshakesCompleted
    await until(() => s.transport.stats().handshakesCompleted > before, 10_000).catch(() => {
      throw new Error(`no handshake; client said:\n${out}`)
    })
    child.stdin!.write(line + '\n')
    await until(() => out.includes(expectOut), 10_000).catch(() => {
      throw new Error(`no echo; client said:\n${out}`)
    })
    return out
  } finally {
    child.kill('SIGTERM')
  }
}

/** Runs a client with stdin closed until it exits (the server lives in this process: no spawnSync). */
function runToExit(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const t = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('close', () => {
      clearTimeout(t)
      resolve(out)
    })
  })
}

const hexKey = KEY.toString('hex')

/** The fields of the last "DTLS session established" log line of server `t`. */
function lastSession(t: GivenServer = s): { suite: number; encryptThenMac: boolean } {
  const line = t.lines.filter((l) => l.includes('DTLS session established')).at(-1)
  if (!line) throw new Error('no session established')
  return JSON.parse(line) as { suite: number; encryptThenMac: boolean }
}

describe.skipIf(!has('openssl'))('openssl s_client', () => {
  // OpenSSL offers encrypt_then_mac by default; -no_etm makes it MAC-then-encrypt.
  const cases: Array<[string, string[], boolean]> = [
    ['PSK-AES128-CCM8', [], false],
    ['PSK-AES128-CBC-SHA256', [], true],
    ['PSK-AES128-CBC-SHA256', ['-no_etm'], false],
  ]
  for (const [cipher, extra, etm] of cases) {
    it(`completes a handshake with ${cipher} forced${extra.length ? ' and ' + extra.join(' ') : ''} (encrypt_then_mac ${etm ? 'on' : 'off'}) and exchanges data both ways`, async () => {
      const line = `hello-openssl-${cipher}${extra.join('')}`
      const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${s.address.port}`, '-psk_identity', IDENTITY, '-psk', hexKey, '-cipher', cipher, ...extra, '-quiet']
      await runClient('openssl', args, line, `echo:${line}`)
      const got = s.received.find((d) => Buffer.from(d.data).toString().startsWith(line))
      expect(got?.identity).toBe(IDENTITY)
      expect(lastSession().encryptThenMac).toBe(etm)
    })
  }

  it('gets no CBC without encrypt_then_mac from a server with the defaults (MAC-then-encrypt off), and CBC with it', async () => {
    const t = await givenServer()
    try {
      const base = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${t.address.port}`, '-psk_identity', IDENTITY, '-psk', hexKey, '-cipher', 'PSK-AES128-CBC-SHA256']
      expect(await runToExit('openssl', [...base, '-no_etm'])).toMatch(/alert handshake failure/i)
      const child = spawn('openssl', [...base, '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] })
      try {
        await until(() => t.transport.stats().sessions === 1, 10_000)
        expect(t.transport.sessions()[0]).toMatchObject({ suite: CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, encryptThenMac: true })
      } finally {
        child.kill('SIGTERM')
      }
    } finally {
      await t.transport.close()
    }
  })

  it('gets a handshake_failure alert with a wrong key', async () => {
    const out = await runToExit('openssl', ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${s.address.port}`, '-psk_identity', IDENTITY, '-psk', 'deadbeef', '-cipher', 'PSK-AES128-CCM8'])
    expect(out).toMatch(/alert handshake failure/i)
  })

  it('gets a handshake_failure alert with an unknown identity', async () => {
    const out = await runToExit('openssl', ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${s.address.port}`, '-psk_identity', 'nobody', '-psk', hexKey, '-cipher', 'PSK-AES128-CBC-SHA256'])
    expect(out).toMatch(/alert handshake failure/i)
    expect(s.lines.join('')).toContain('nobody')
  })
})

describe.skipIf(!has('openssl'))('retransmission with a real client', () => {
  it('recovers when its ServerHello flight and its Finished flight are each lost once (openssl)', async () => {
    // Our own timer is slow here, so recovery must come from answering the client's retransmissions.
    const t = await givenServer({ retransmitInitialMs: 10_000 })
    const dropped = { hello: 0, finished: 0 }
    const relay = await lossyRelay(t.address, {
      fromServer: (d) => {
        const first = parseRecords(d)[0]
        if (first?.type === ContentType.handshake && first.fragment[0] === HandshakeType.serverHello && dropped.hello++ === 0) return true
        if (first?.type === ContentType.changeCipherSpec && dropped.finished++ === 0) return true
        return false
      },
    })
    const child = spawn('openssl', ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${relay.address.port}`, '-psk_identity', IDENTITY, '-psk', hexKey, '-cipher', 'PSK-AES128-CCM8', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await until(() => t.transport.stats().sessions === 1, 15_000)
      // Our reply can only arrive once the client has our (resent) Finished.
      child.stdin.write('after-loss\n')
      await until(() => out.includes('echo:after-loss'), 15_000)
      expect(dropped.hello).toBeGreaterThanOrEqual(2)
      expect(dropped.finished).toBeGreaterThanOrEqual(2)
    } finally {
      child.kill('SIGTERM')
      await relay.close()
      await t.transport.close()
    }
  })
})

describe.skipIf(!has('gnutls-cli'))('gnutls-cli', () => {
  // GnuTLS negotiates encrypt_then_mac unless %NO_ETM says otherwise.
  const priorities: Record<string, [string, boolean]> = {
    'AES-128-CCM-8': ['NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CCM-8:-MAC-ALL:+AEAD', false],
    'AES-128-CBC-SHA256': ['NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256', true],
    'AES-128-CBC-SHA256 %NO_ETM': ['NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256:%NO_ETM', false],
  }
  for (const [name, [priority, etm]] of Object.entries(priorities)) {
    it(`completes a handshake with ${name} (encrypt_then_mac ${etm ? 'on' : 'off'}) and exchanges data both ways`, async () => {
      const line = `hello-gnutls-${name}`
      const args = ['--udp', '-p', String(s.address.port), '127.0.0.1', '--pskusername', IDENTITY, '--pskkey', hexKey, '--priority', priority]
      await runClient('gnutls-cli', args, line, `echo:${line}`)
      expect(s.received.some((d) => Buffer.from(d.data).toString().startsWith(line) && d.identity === IDENTITY)).toBe(true)
      expect(lastSession().encryptThenMac).toBe(etm)
    })
  }
})

describe('our DTLS client (client.ts) with our server', () => {
  const ciphers: DtlsClientCipher[] = ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256']
  for (const cipher of ciphers) {
    it(`completes a handshake with ${cipher} and exchanges data both ways`, async () => {
      const c = createDtlsClientTransport({ peer: s.address, identity: IDENTITY, key: KEY, ciphers: [cipher] })
      const reply = new Promise<string>((resolve) => c.onDatagram((d) => resolve(Buffer.from(d.data).toString())))
      const local = await c.listen()
      expect(local.address).toBe('127.0.0.1')
      await c.send(s.address, Buffer.from(`ours-${cipher}`))
      expect(await reply).toBe(`echo:ours-${cipher}`)
      const from = s.received.find((d) => Buffer.from(d.data).toString() === `ours-${cipher}`)
      expect(from?.peer.port).toBe(local.port)
      await c.close()
      await until(() => s.ended.some((e) => e.peer.port === local.port && e.reason === 'closed'))
    })
  }

  it('serves 30 clients handshaking at the same time', async () => {
    // A generous timeout: this checks concurrency, not speed, and a loaded 2-core CI box can take
    // seconds to get through 30 handshakes. A datagram lost on the way costs a resend, not the test.
    // 30 devices, 30 identities: sessions of one identity replace each other (maxSessionsPerIdentity).
    const t = await givenServer({ pskLookup: async (id) => (id.startsWith('dev30-') ? KEY : undefined) })
    const clients = Array.from({ length: 30 }, (_, i) =>
      createDtlsClientTransport({ peer: t.address, identity: `dev30-${i}`, key: KEY, timeoutMs: 25_000 }),
    )
    const replies = clients.map((c) => new Promise<string>((resolve) => c.onDatagram((d) => resolve(Buffer.from(d.data).toString()))))
    await Promise.all(clients.map((c) => c.listen()))
    try {
      await Promise.all(clients.map((c, i) => c.send(t.address, Buffer.from(`n${i}`))))
      expect(await Promise.all(replies)).toEqual(clients.map((_, i) => `echo:n${i}`))
    } finally {
      await Promise.all(clients.map((c) => c.close()))
      await t.transport.close()
    }
  }, 60_000)

  it('fails the handshake with a wrong key', async () => {
    // Its Finished comes in the datagram of its ClientKeyExchange, so the alert comes at once.
    const c = createDtlsClientTransport({ peer: s.address, identity: IDENTITY, key: Buffer.from('wrong'), timeoutMs: 3000 })
    await expect(c.listen()).rejects.toMatchObject({ code: 'LWC_DTLS_HANDSHAKE' })
    await c.close()
  })

  it('times out with a typed error when no server answers', async () => {
    const silent = await givenServer({ maxHandshakes: 0 })
    await silent.transport.close()
    const c = createDtlsClientTransport({ peer: silent.address, identity: IDENTITY, key: KEY, timeoutMs: 300 })
    await expect(c.listen()).rejects.toMatchObject({ code: 'LWC_DTLS_HANDSHAKE_TIMEOUT' })
    await c.close()
  })

  it('carries binary keys and non-ASCII identities intact', async () => {
    const key = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x10, 0xc3, 0xa9])
    const identity = 'gerät-ü'
    const t = await givenServer({ pskLookup: async (id) => (id === identity ? key : undefined) })
    try {
      const c = createDtlsClientTransport({ peer: t.address, identity, key })
      await c.listen()
      await c.send(t.address, Buffer.from('bin'))
      await until(() => t.received.length === 1)
      expect(t.received[0].identity).toBe(identity)
      await c.close()
    } finally {
      await t.transport.close()
    }
  })
})

describe.skipIf(!has('coap-client-openssl'))('libcoap coap-client', () => {
  for (const bin of ['coap-client-openssl', 'coap-client-gnutls'].filter(has)) {
    it(`${bin} completes a DTLS handshake and its CoAP request arrives with the identity`, async () => {
      const before = s.received.length
      const isGet = (data: Uint8Array): boolean => data[0] >> 6 === 1 && data[1] === 0x01 && Buffer.from(data).includes(Buffer.from('x'))
      // Our echo server is CoAP-ignorant: the client gets no valid answer and times out (-B 1).
      const r = spawn(bin, ['-u', IDENTITY, '-k', KEY.toString(), '-B', '1', '-m', 'get', `coaps://127.0.0.1:${s.address.port}/x`], { stdio: 'ignore' })
      try {
        await until(() => s.received.slice(before).some((d) => isGet(d.data)), 10_000)
      } finally {
        r.kill('SIGTERM')
      }
      const d = s.received.slice(before).find((d) => isGet(d.data))!
      expect(d.identity).toBe(IDENTITY)
    })

    it(`${bin} completes a DTLS handshake with PSK-AES128-CBC-SHA256 and encrypt_then_mac (the only suite the server accepts)`, async () => {
      const t = await givenServer({ cipherSuites: [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256] })
      const r = spawn(bin, ['-u', IDENTITY, '-k', KEY.toString(), '-B', '1', '-m', 'get', `coaps://127.0.0.1:${t.address.port}/x`], { stdio: 'ignore' })
      try {
        await until(() => t.received.length > 0, 10_000)
        expect(t.received[0].identity).toBe(IDENTITY)
        // libcoap (OpenSSL and GnuTLS builds) offers encrypt_then_mac, so CBC runs with it.
        expect(lastSession(t)).toMatchObject({ suite: CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, encryptThenMac: true })
      } finally {
        r.kill('SIGTERM')
        await t.transport.close()
      }
    })
  }
})

it('negotiates both suites through the exported ids', () => {
  expect(CipherSuite).toEqual({ TLS_PSK_WITH_AES_128_CCM_8: 0xc0a8, TLS_PSK_WITH_AES_128_CBC_SHA256: 0x00ae })
})
