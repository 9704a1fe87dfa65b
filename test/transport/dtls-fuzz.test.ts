/**
 * Bad input: at least 100,000 random and mutated datagrams (captured valid handshakes and records,
 * bit-flipped, truncated, spliced, with forged headers) go to a live server over UDP. Afterwards
 * the server has bounded state and still serves a good client.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import { writeU48 } from '../../src/transport/dtls/reader.js'
import { RawDtlsClient } from './dtls-raw-client.js'
import { givenServer, IDENTITY, KEY, until, type GivenServer } from './dtls-helpers.js'

const RUNS = 100_000
const MAX_HANDSHAKES = 8
const MAX_SESSIONS = 8

let s: GivenServer
beforeAll(async () => {
  // MAC-then-encrypt on (opt-in): the raw client offers no encrypt_then_mac, and that CBC path is fuzzed too.
  s = await givenServer({ cbcMacThenEncrypt: true, maxHandshakes: MAX_HANDSHAKES, maxSessions: MAX_SESSIONS, handshakeTimeoutMs: 300, retransmitInitialMs: 60_000 })
})
afterAll(async () => {
  await s.transport.close()
})

type Op =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'double' }
  | { kind: 'splice'; other: number; at: number }
  | { kind: 'length'; value: number }
  | { kind: 'seq'; value: number }

function mutate(base: Buffer, ops: Op[], pool: Buffer[]): Buffer {
  let d = Buffer.from(base)
  for (const op of ops) {
    const at = d.length === 0 ? 0 : (op as { at?: number }).at! % d.length
    switch (op.kind) {
      case 'flip':
        if (d.length) d[at] ^= 1 << op.bit
        break
      case 'set':
        if (d.length) d[at] = op.value
        break
      case 'truncate':
        d = d.subarray(0, at)
        break
      case 'append':
        d = Buffer.concat([d, op.bytes])
        break
      case 'double':
        d = Buffer.concat([d, d])
        break
      case 'splice': {
        const other = pool[op.other % pool.length]
        d = Buffer.concat([d.subarray(0, at), other.subarray(at % Math.max(1, other.length))])
        break
      }
      case 'length':
        if (d.length >= 13) d.writeUInt16BE(op.value, 11)
        break
      case 'seq':
        if (d.length >= 13) writeU48(d, op.value, 5)
        break
    }
  }
  return d
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('double' as const) }),
  fc.record({ kind: fc.constant('splice' as const), other: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('seq' as const), value: fc.integer({ min: 0, max: 2 ** 48 - 1 }) }),
)

/** A record header that parses (type 20..23, DTLS version, any epoch/seq) around random bytes. */
const forgedRecordArb = fc
  .record({
    type: fc.integer({ min: 20, max: 23 }),
    epoch: fc.integer({ min: 0, max: 2 }),
    seq: fc.integer({ min: 0, max: 100 }),
    body: fc.uint8Array({ maxLength: 200 }),
  })
  .map(({ type, epoch, seq, body }) => {
    const h = Buffer.alloc(13)
    h[0] = type
    h.writeUInt16BE(0xfefd, 1)
    h.writeUInt16BE(epoch, 3)
    writeU48(h, seq, 5)
    h.writeUInt16BE(body.length, 11)
    return Buffer.concat([h, body])
  })

it(`survives ${RUNS} random and mutated datagrams and still serves a good client`, { timeout: 180_000 }, async () => {
  // Capture a valid exchange (both suites) from the socket that will fuzz, so cookies verify.
  const fuzzer = await RawDtlsClient.open(s.address)
  await fuzzer.handshake({ identity: IDENTITY, key: KEY })
  fuzzer.sendApp(Buffer.from('captured'))
  await fuzzer.receive()
  await fuzzer.handshake({ identity: IDENTITY, key: KEY, suites: [0x00ae], fragmentClientKeyExchange: 5 })
  fuzzer.sendApp(Buffer.from('captured-cbc'))
  await fuzzer.receive()
  const pool = fuzzer.sent.map((d) => Buffer.from(d))
  expect(pool.length).toBeGreaterThanOrEqual(8)

  const datagramArb = fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    { weight: 2, arbitrary: forgedRecordArb },
    { weight: 5, arbitrary: fc.tuple(fc.nat(), fc.array(opArb, { minLength: 1, maxLength: 4 })).map(([i, ops]) => mutate(pool[i % pool.length], ops, pool)) },
    { weight: 1, arbitrary: fc.nat().map((i) => pool[i % pool.length]) }, // plain replays
  )

  const start = s.transport.stats().datagrams
  let sent = 0
  let maxConnections = 0
  await fc.assert(
    fc.asyncProperty(datagramArb, async (d) => {
      fuzzer.send(d)
      sent++
      if (sent % 100 === 0) {
        // Pace on the server's own count so the kernel does not drop the datagrams.
        const deadline = Date.now() + 2000
        while (s.transport.stats().datagrams - start < sent - 2 && Date.now() < deadline) {
          await new Promise((r) => setImmediate(r))
        }
        maxConnections = Math.max(maxConnections, s.transport.stats().connections)
      }
      return true
    }),
    { numRuns: RUNS, seed: 20260601 },
  )
  await until(() => s.transport.stats().datagrams - start >= sent - 2, 5000).catch(() => undefined)
  // Malformed input surfaces only as typed DtlsErrors, never as a TypeError/RangeError.
  const errorTypes = new Set(s.lines.map((l) => JSON.parse(l) as { err?: { type?: string } }).filter((l) => l.err).map((l) => l.err!.type))
  expect([...errorTypes].filter((t) => t !== 'DtlsError')).toEqual([])
  const stats = s.transport.stats()
  const fed = stats.datagrams - start
  expect(fed).toBeGreaterThanOrEqual(RUNS - 1000)
  expect(maxConnections).toBeLessThanOrEqual(MAX_HANDSHAKES + MAX_SESSIONS)
  expect(stats.sessions).toBeLessThanOrEqual(MAX_SESSIONS)
  expect(stats.handshakes).toBeLessThanOrEqual(MAX_HANDSHAKES)
  // Fuzz-created handshakes expire.
  await until(() => s.transport.stats().handshakes === 0, 5000)
  fuzzer.close()

  const good = createDtlsClientTransport({ peer: s.address, identity: IDENTITY, key: KEY })
  const reply = new Promise<string>((resolve) => good.onDatagram((d) => resolve(Buffer.from(d.data).toString())))
  await good.listen()
  await good.send(s.address, Buffer.from('after-fuzz'))
  expect(await reply).toBe('echo:after-fuzz')
  await good.close()
  console.info(`DTLS fuzz: ${fed} datagrams fed, ${stats.dropped} dropped, ${stats.helloVerifyRequests} HelloVerifyRequests, ${stats.handshakesFailed} handshakes failed, max ${maxConnections} peers with state`)
})
