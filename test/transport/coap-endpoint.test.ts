import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { CoapEndpointClosedError, CoapResetError, CoapTimeoutError, OptionNumber, encodeMessage, type CoapEndpoint, type CoapObserveRelation, type CoapResponse } from '../../src/transport/coap/index.js'
import { encodeUint } from '../../src/transport/coap/options.js'
import { givenEndpoint, givenLossyProxy, givenRawPeer, text, utf8, type RawPeer } from './coap-helpers.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((c) => c()))
})

async function pair(opts: Parameters<typeof givenEndpoint>[0] = {}) {
  const a = await givenEndpoint(opts)
  const b = await givenEndpoint(opts)
  cleanup.push(() => a.endpoint.stop(), () => b.endpoint.stop())
  return { client: a.endpoint, server: b.endpoint, serverAddress: b.address, clientAddress: a.address }
}

async function raw(): Promise<RawPeer> {
  const peer = await givenRawPeer()
  cleanup.push(() => peer.close())
  return peer
}

const token = Uint8Array.from([9, 9, 9, 9])

describe('CoAP endpoint over UDP', () => {
  it('answers a GET with a piggybacked response carrying path, query and content format', async () => {
    const { client, server, serverAddress } = await pair()
    server.onRequest((req, ctx) => ({
      code: '2.05',
      contentFormat: 0,
      payload: `${req.method} ${req.path.join('/')} ${req.query.join('&')} ${ctx.identity ?? 'none'}`,
    }))
    const res = await client.request(serverAddress, { method: 'GET', path: ['3', '0', '1'], query: ['x=1', 'y=2'] })
    expect(res.code).toBe('2.05')
    expect(res.contentFormat).toBe(0)
    expect(text(res.payload)).toBe('GET 3/0/1 x=1&y=2 none')
  })

  it('sends an empty ACK and then a separate CON response when the handler is slow', async () => {
    const { server, serverAddress } = await pair({ piggybackDelayMs: 20 })
    // The handler answers only once the empty ACK has been seen: slow by construction, not by a timer.
    let release!: () => void
    const acked = new Promise<void>((resolve) => (release = resolve))
    server.onRequest(async () => {
      await acked
      return { code: '2.04', payload: 'late' }
    })
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.02', messageId: 100, token, options: [], payload: utf8('x') })
    const ack = await peer.next()
    expect(ack.msg).toMatchObject({ type: 'ACK', code: '0.00', messageId: 100 })
    release()
    const res = await peer.next()
    expect(res.msg).toMatchObject({ type: 'CON', code: '2.04', token })
    expect(text(res.msg.payload)).toBe('late')
    peer.send(serverAddress, { type: 'ACK', code: '0.00', messageId: res.msg.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) })
  })

  it('receives a separate response as a client and acknowledges it', async () => {
    const { client, server, serverAddress } = await pair({ piggybackDelayMs: 10 })
    // Slower than the 10 ms piggyback window: both timers run in this process, so the empty ACK
    // always goes first, however loaded the machine is.
    server.onRequest(async () => {
      await new Promise((r) => setTimeout(r, 100))
      return { code: '2.05', payload: 'separate' }
    })
    const res = await client.request(serverAddress, { method: 'GET', path: ['slow'] })
    expect(text(res.payload)).toBe('separate')
    // The client's ACK of the separate response ends the server's retransmission of it.
    await waitFor(() => server.stats().pendingTransmissions === 0)
  })

  it('retransmits a CON until a lossy link lets it through', async () => {
    const { client, server, serverAddress } = await pair()
    let calls = 0
    server.onRequest(() => ({ code: '2.05', payload: String(++calls) }))
    const proxy = await givenLossyProxy(serverAddress, 2, 1)
    cleanup.push(() => proxy.close())
    const res = await client.request(proxy.address, { method: 'GET', path: ['x'] })
    expect(text(res.payload)).toBe('1')
    expect(proxy.dropped()).toBe(3)
    expect(client.stats().retransmissions).toBeGreaterThanOrEqual(3)
    expect(calls).toBe(1) // the retransmission after the lost ACK was answered from the dedup cache
  })

  it('answers a duplicated CON from cache without calling the handler again', async () => {
    const { server, serverAddress } = await pair()
    let calls = 0
    server.onRequest(() => ({ code: '2.05', payload: `call ${++calls}` }))
    const peer = await raw()
    const req = { type: 'CON' as const, code: '0.01', messageId: 7, token, options: [], payload: new Uint8Array(0) }
    peer.send(serverAddress, req)
    const first = await peer.next()
    peer.send(serverAddress, req)
    const second = await peer.next()
    expect(text(first.msg.payload)).toBe('call 1')
    expect(second.msg).toEqual(first.msg)
    expect(calls).toBe(1)
    expect(server.stats().duplicates).toBe(1)
  })

  it('treats a reused message id with another token as a new request, not a duplicate', async () => {
    const { server, serverAddress } = await pair()
    let calls = 0
    server.onRequest(() => ({ code: '2.05', payload: `call ${++calls}` }))
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.01', messageId: 8, token: Uint8Array.from([1]), options: [], payload: new Uint8Array(0) })
    expect(text((await peer.next()).msg.payload)).toBe('call 1')
    peer.send(serverAddress, { type: 'CON', code: '0.01', messageId: 8, token: Uint8Array.from([2]), options: [], payload: new Uint8Array(0) })
    const second = (await peer.next()).msg
    expect(text(second.payload)).toBe('call 2')
    expect([...second.token]).toEqual([2])
  })

  it('rejects with CoapTimeoutError when nobody acknowledges', async () => {
    const { client } = await pair({ ackTimeoutMs: 10, maxRetransmit: 2 })
    const silent = await raw()
    const err = await client.request(silent.address, { method: 'GET' }).catch((e) => e)
    expect(err).toBeInstanceOf(CoapTimeoutError)
    expect(err.code).toBe('LWC_COAP_TIMEOUT')
  })

  it('rejects with CoapTimeoutError when an acknowledged request never gets its response', async () => {
    const { client } = await pair()
    const peer = await raw()
    const pending = client.request(peer.address, { method: 'GET' }, { responseTimeoutMs: 100 }).catch((e) => e)
    const req = await peer.next()
    peer.send(req.from, { type: 'ACK', code: '0.00', messageId: req.msg.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) })
    expect(await pending).toBeInstanceOf(CoapTimeoutError)
  })

  it('exchanges NON requests and NON responses', async () => {
    const { client, server, serverAddress } = await pair()
    server.onRequest((req) => ({ code: '2.05', payload: req.confirmable ? 'con' : 'non' }))
    const res = await client.request(serverAddress, { method: 'GET', confirmable: false })
    expect(text(res.payload)).toBe('non')
    const peer = await raw()
    peer.send(serverAddress, { type: 'NON', code: '0.01', messageId: 5, token, options: [], payload: new Uint8Array(0) })
    expect((await peer.next()).msg).toMatchObject({ type: 'NON', code: '2.05', token })
  })

  it('rejects with CoapResetError when the peer resets our CON', async () => {
    const { client } = await pair()
    const peer = await raw()
    const pending = client.request(peer.address, { method: 'GET' }).catch((e) => e)
    const req = await peer.next()
    peer.send(req.from, { type: 'RST', code: '0.00', messageId: req.msg.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) })
    const err = await pending
    expect(err).toBeInstanceOf(CoapResetError)
    expect(err.code).toBe('LWC_COAP_RESET')
  })

  it('resets a response nobody waits for and answers a CoAP ping with RST', async () => {
    const { serverAddress } = await pair()
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '2.05', messageId: 11, token, options: [], payload: new Uint8Array(0) })
    expect((await peer.next()).msg).toMatchObject({ type: 'RST', messageId: 11 })
    peer.send(serverAddress, { type: 'CON', code: '0.00', messageId: 12, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) })
    expect((await peer.next()).msg).toMatchObject({ type: 'RST', messageId: 12 })
  })

  it('answers 4.02 to an unknown critical option and ignores unknown elective ones and Uri-Port', async () => {
    const { server, serverAddress } = await pair()
    server.onRequest(() => ({ code: '2.05' }))
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.01', messageId: 1, token, options: [{ number: 2049, value: new Uint8Array(0) }], payload: new Uint8Array(0) })
    expect((await peer.next()).msg.code).toBe('4.02')
    peer.send(serverAddress, {
      type: 'CON', code: '0.01', messageId: 2, token,
      options: [{ number: OptionNumber.URI_PORT, value: encodeUint(5683) }, { number: 2050, value: utf8('x') }],
      payload: new Uint8Array(0),
    })
    expect((await peer.next()).msg.code).toBe('2.05')
  })

  it('survives garbage datagrams and keeps serving good peers', async () => {
    const { client, server, serverAddress } = await pair()
    server.onRequest(() => ({ code: '2.05', payload: 'still here' }))
    const peer = await raw()
    const garbage = [
      Uint8Array.from([]), Uint8Array.from([0xff]), Uint8Array.from([0x40, 0x01, 0, 1, 0xf1]), Uint8Array.from([0x4f, 1, 2, 3]),
      Uint8Array.from([0x40, 0x01, 0, 2, 0x13]), Uint8Array.from([0x40, 0x01, 0, 3, 0xe0, 0xff, 0xff, 0xe0, 0, 0x10]),
      Uint8Array.from([0x50, 0xe1, 0, 4]), Uint8Array.from([0x40, 0x01, 0, 5, 0xd1, 0x0e, 0x0f]), // Block2 with szx 7
      ...Array.from({ length: 50 }, (_, i) => Uint8Array.from({ length: i * 3 }, (_, j) => (i * 31 + j * 17) & 0xff)),
    ]
    for (const g of garbage) peer.send(serverAddress, g)
    // The CON with a bad option gets a Reset: it could be read far enough to know its message id.
    const replies: string[] = []
    while (!(await peer.silentFor(100))) replies.push(`${(await peer.next()).msg.type}`)
    expect(replies).toContain('RST')
    const res = await client.request(serverAddress, { method: 'GET' })
    expect(text(res.payload)).toBe('still here')
    expect(server.stats().badDatagrams).toBeGreaterThan(5)
  })

  it('rejects pending requests with CoapEndpointClosedError when stopped', async () => {
    const { client } = await pair()
    const silent = await raw()
    const pending = client.request(silent.address, { method: 'GET' }).catch((e) => e)
    await silent.next()
    await client.stop()
    const err = await pending
    expect(err).toBeInstanceOf(CoapEndpointClosedError)
    expect(client.stats().pendingTransmissions).toBe(0)
  })

  it('turns a handler answer with a request code into 5.00', async () => {
    const { client, server, serverAddress } = await pair()
    server.onRequest(() => ({ code: '0.01' }))
    expect((await client.request(serverAddress, { method: 'GET' })).code).toBe('5.00')
  })

  it('rejects a response carrying an unknown critical option', async () => {
    const { client } = await pair()
    const peer = await raw()
    const pending = client.request(peer.address, { method: 'GET' }).catch((e) => e)
    const req = await peer.next()
    peer.send(req.from, { type: 'ACK', code: '2.05', messageId: req.msg.messageId, token: req.msg.token, options: [{ number: 2049, value: new Uint8Array(0) }], payload: new Uint8Array(0) })
    const err = await pending
    expect(err.code).toBe('LWC_COAP_FORMAT')
  })

  it('answers 4.05 to an unknown method and 4.00 to an option value out of its format', async () => {
    const { server, serverAddress } = await pair()
    server.onRequest(() => ({ code: '2.05' }))
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.25', messageId: 1, token, options: [], payload: new Uint8Array(0) })
    expect((await peer.next()).msg.code).toBe('4.05')
    peer.send(serverAddress, { type: 'CON', code: '0.01', messageId: 2, token, options: [{ number: 12, value: new Uint8Array(5) }], payload: new Uint8Array(0) })
    expect((await peer.next()).msg.code).toBe('4.00')
  })

  it('survives thousands of mutated requests, responses and block messages (property)', async () => {
    const { client, server, serverAddress } = await pair({ blockSize: 64 })
    server.onRequest((req) => ({ code: '2.05', payload: req.method === 'GET' ? 'g'.repeat(200) : 'ok' }))
    const peer = await raw()
    const seeds = [
      { type: 'CON' as const, code: '0.01', messageId: 1, token, options: [{ number: 11, value: utf8('a') }, { number: 23, value: encodeUint(0x16) }, { number: 6, value: new Uint8Array(0) }], payload: new Uint8Array(0) },
      { type: 'CON' as const, code: '0.02', messageId: 2, token, options: [{ number: 27, value: encodeUint(0x0a) }, { number: 60, value: encodeUint(300) }], payload: new Uint8Array(64) },
      { type: 'NON' as const, code: '2.05', messageId: 3, token, options: [{ number: 6, value: encodeUint(5) }, { number: 23, value: encodeUint(0x1a) }], payload: utf8('x') },
      { type: 'ACK' as const, code: '2.31', messageId: 4, token, options: [{ number: 27, value: encodeUint(0x0e) }], payload: new Uint8Array(0) },
    ].map((m) => encodeMessage(m))
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 4 }), fc.nat(10), (i, flips, cut) => {
        const data = Uint8Array.from(seeds[i])
        for (const [at, value] of flips) data[at % data.length] = value
        peer.send(serverAddress, data.subarray(0, Math.max(0, data.length - cut)))
      }),
      { numRuns: 3000 },
    )
    // The request retransmits until the server, still alive, has worked through the backlog.
    const res = await client.request(serverAddress, { method: 'GET' })
    expect(res.payload.length).toBe(200)
  })

  it('turns a throwing handler into 5.00', async () => {
    const { client, server, serverAddress } = await pair()
    server.onRequest(() => {
      throw new Error('boom')
    })
    expect((await client.request(serverAddress, { method: 'GET' })).code).toBe('5.00')
  })
})

describe('CoAP Observe', () => {
  it('delivers notifications in order and stops them after cancel', async () => {
    const { client, server, serverAddress } = await pair()
    let relation: CoapObserveRelation | undefined
    const closed = new Promise<string>((resolve) => {
      server.onRequest((req, ctx) => {
        if (req.observe === 0 && ctx.acceptObserve) {
          relation = ctx.acceptObserve()
          relation.onClose(resolve)
        }
        return { code: '2.05', payload: 'v0' }
      })
    })
    const seen: string[] = []
    const ends: string[] = []
    const obs = await client.observe(serverAddress, { method: 'GET', path: ['3', '0', '9'] }, (n) => seen.push(text(n.payload)), (r) => ends.push(r))
    expect(obs.active).toBe(true)
    expect(obs.first.observe).toBeTypeOf('number')
    expect(text(obs.first.payload)).toBe('v0')
    await relation!.notify({ code: '2.05', payload: 'v1' })
    await relation!.notify({ code: '2.05', payload: 'v2' }, { confirmable: true })
    await relation!.notify({ code: '2.05', payload: 'v3' })
    await waitFor(() => seen.length === 3)
    expect(seen).toEqual(['v1', 'v2', 'v3'])
    await obs.cancel()
    expect(await closed).toBe('deregistered')
    expect(relation!.closed).toBe(true)
    expect(obs.active).toBe(false)
    expect(ends).toEqual(['cancelled'])
    expect(client.stats().observing).toBe(0)
    expect(server.stats().observers).toBe(0)
  })

  it('ends the observation when the server notifies an error', async () => {
    const { client, server, serverAddress } = await pair()
    let relation: CoapObserveRelation | undefined
    server.onRequest((_req, ctx) => {
      relation = ctx.acceptObserve?.()
      return { code: '2.05', payload: 'alive' }
    })
    const seen: string[] = []
    const ended = new Promise<string>((resolve) => void client.observe(serverAddress, { method: 'GET', path: ['z'] }, (n) => seen.push(n.code), resolve))
    await waitFor(() => relation !== undefined)
    await relation!.notify({ code: '4.04' })
    expect(await ended).toBe('ended-by-peer')
    expect(seen).toEqual(['4.04'])
    expect(relation!.closed).toBe(true)
    expect(client.stats().observing).toBe(0)
  })

  it('drops a reordered (older) notification', async () => {
    const { client } = await pair()
    const peer = await raw()
    const seen: string[] = []
    const pending = client.observe(peer.address, { method: 'GET', path: ['x'] }, (n) => seen.push(text(n.payload)))
    const req = await peer.next()
    const notify = (mid: number, seq: number, payload: string, type: 'ACK' | 'NON' = 'NON') =>
      peer.send(req.from, { type, code: '2.05', messageId: mid, token: req.msg.token, options: [{ number: 6, value: encodeUint(seq) }], payload: utf8(payload) })
    notify(req.msg.messageId, 10, 'first', 'ACK')
    await pending
    notify(500, 12, 'twelve')
    notify(501, 11, 'eleven (stale)')
    notify(502, 13, 'thirteen')
    // Loopback keeps order: once the last one is in, a stale one taken would already be there.
    notify(503, 14, 'fourteen')
    await waitFor(() => seen.length >= 3)
    expect(seen).toEqual(['twelve', 'thirteen', 'fourteen'])
  })

  it('ends the served relation when the observer resets a notification', async () => {
    const { server, serverAddress } = await pair()
    let relation: CoapObserveRelation | undefined
    const closed = new Promise<string>((resolve) =>
      server.onRequest((_req, ctx) => {
        relation = ctx.acceptObserve?.()
        relation?.onClose(resolve)
        return { code: '2.05' }
      }),
    )
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.01', messageId: 1, token, options: [{ number: 6, value: new Uint8Array(0) }], payload: new Uint8Array(0) })
    const first = (await peer.next()).msg
    expect(first.options.some((o) => o.number === 6)).toBe(true)
    void relation!.notify({ code: '2.05', payload: 'to nobody' }).catch(() => {})
    const n = (await peer.next()).msg
    expect(n).toMatchObject({ type: 'NON', token })
    peer.send(serverAddress, { type: 'RST', code: '0.00', messageId: n.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) })
    expect(await closed).toBe('reset')
    expect(server.stats().observers).toBe(0)
  })

  it('fetches the rest of a large notification with Block2', async () => {
    const { client, server, serverAddress } = await pair({ blockSize: 64 })
    let relation: CoapObserveRelation | undefined
    server.onRequest((_req, ctx) => {
      relation = ctx.acceptObserve?.() ?? relation
      return { code: '2.05', payload: 'x'.repeat(300) }
    })
    const seen: string[] = []
    const obs = await client.observe(serverAddress, { method: 'GET', path: ['big'] }, (n) => seen.push(text(n.payload)))
    expect(obs.first.payload.length).toBe(300)
    await relation!.notify({ code: '2.05', payload: 'y'.repeat(200) })
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toBe('y'.repeat(200))
    await obs.cancel()
  })
})

describe('CoAP Observe with FETCH (Observe-Composite)', () => {
  type Seen = { method: string; observe?: number; contentFormat?: number; accept?: number; payload: string }
  const paths = '[{"n":"/3/0/13"},{"n":"/3303/0/5700"}]'

  it('cancels with FETCH, Observe 1 and the same options and payload, which ends the relation', async () => {
    const { client, server, serverAddress } = await pair()
    const requests: Seen[] = []
    const closed = new Promise<string>((resolve) => {
      server.onRequest((req, ctx) => {
        requests.push({ method: req.method, observe: req.observe, contentFormat: req.contentFormat, accept: req.accept, payload: text(req.payload) })
        // A FETCH without its payload names nothing: a server answers 4.00.
        if (req.payload.length === 0) return { code: '4.00' }
        if (req.observe === 0 && ctx.acceptObserve) ctx.acceptObserve().onClose(resolve)
        return { code: '2.05', contentFormat: 110, payload: 'v0' }
      })
    })
    const obs = await client.observe(serverAddress, { method: 'FETCH', path: [], contentFormat: 110, accept: 110, payload: paths }, () => {})
    expect(obs.active).toBe(true)
    await obs.cancel()
    expect(await closed).toBe('deregistered')
    expect(requests).toEqual([
      { method: 'FETCH', observe: 0, contentFormat: 110, accept: 110, payload: paths },
      { method: 'FETCH', observe: 1, contentFormat: 110, accept: 110, payload: paths },
    ])
    expect(server.stats().observers).toBe(0)
  })

  it('fetches the rest of a large FETCH notification with Block2 FETCHes that repeat the payload', async () => {
    const { client, server, serverAddress } = await pair({ blockSize: 64 })
    let relation: CoapObserveRelation | undefined
    const continued: string[] = []
    server.onRequest((req, ctx) => {
      if (req.payload.length === 0) return { code: '4.00' }
      if (req.observe === undefined) continued.push(text(req.payload))
      relation = ctx.acceptObserve?.() ?? relation
      return { code: '2.05', payload: 'x'.repeat(300) }
    })
    const seen: string[] = []
    const obs = await client.observe(serverAddress, { method: 'FETCH', path: [], contentFormat: 110, payload: paths }, (n) => seen.push(text(n.payload)))
    expect(obs.first.payload.length).toBe(300)
    await relation!.notify({ code: '2.05', payload: 'y'.repeat(200) })
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toBe('y'.repeat(200))
    // Block2 of the notification came from the relation's cache (no new FETCH reached the handler).
    expect(continued).toEqual([])
    await obs.cancel()
  })
})

describe('CoAP block-wise transfers', () => {
  const big = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 0xff)

  it('moves Block2 responses and Block1 requests of a few KB in both directions', async () => {
    const { client: a, server: b, serverAddress: bAddr, clientAddress: aAddr } = await pair({ blockSize: 256 })
    const handler = (name: string) => (req: { payload: Uint8Array; method: string }) =>
      req.method === 'GET' ? { code: '2.05', payload: big(5000, name === 'a' ? 3 : 5) } : { code: '2.04', payload: `got ${req.payload.length} bytes, sum ${req.payload.reduce((s, x) => s + x, 0)}` }
    a.onRequest(handler('a'))
    b.onRequest(handler('b'))
    const fromB = await a.request(bAddr, { method: 'GET', path: ['big'] })
    expect(fromB.payload).toEqual(big(5000, 5))
    const fromA = await b.request(aAddr, { method: 'GET', path: ['big'] })
    expect(fromA.payload).toEqual(big(5000, 3))
    const body = big(4321, 11)
    const sum = body.reduce((s, x) => s + x, 0)
    expect(text((await a.request(bAddr, { method: 'POST', path: ['up'], payload: body })).payload)).toBe(`got 4321 bytes, sum ${sum}`)
    expect(text((await b.request(aAddr, { method: 'PUT', path: ['up'], payload: body })).payload)).toBe(`got 4321 bytes, sum ${sum}`)
  })

  it('asks a server with larger blocks for its own block size up front (early negotiation)', async () => {
    const small = await givenEndpoint({ blockSize: 64 })
    const { server, serverAddress } = await pair({ blockSize: 1024 })
    cleanup.push(() => small.endpoint.stop())
    server.onRequest(() => ({ code: '2.05', payload: big(1000, 3) }))
    const res = await small.endpoint.request(serverAddress, { method: 'GET' })
    expect(res.payload).toEqual(big(1000, 3))
    expect(small.endpoint.stats().requestsSent).toBe(16)
  })

  it('adapts to a server that asks for smaller Block1 blocks', async () => {
    const { client } = await pair({ blockSize: 1024 })
    const small = await givenEndpoint({ blockSize: 64 })
    cleanup.push(() => small.endpoint.stop())
    small.endpoint.onRequest((req) => ({ code: '2.04', payload: String(req.payload.length) }))
    const res = await client.request(small.address, { method: 'POST', payload: big(3000, 1) })
    expect(text(res.payload)).toBe('3000')
  })

  it('answers 4.13 when a Block1 body exceeds maxBodySize', async () => {
    const { client } = await pair({ blockSize: 128 })
    const strict = await givenEndpoint({ blockSize: 128, maxBodySize: 1000 })
    cleanup.push(() => strict.endpoint.stop())
    strict.endpoint.onRequest(() => ({ code: '2.04' }))
    const res = await client.request(strict.address, { method: 'POST', payload: big(900, 1), options: [] })
    expect(res.code).toBe('2.04')
    // Size1 announces 2000 bytes: refused up front.
    const tooBig = await client.request(strict.address, { method: 'POST', payload: big(2000, 1) }).catch((e) => e)
    expect((tooBig as CoapResponse).code).toBe('4.13')
  })

  it('answers 4.08 to a Block1 block out of sequence', async () => {
    const { server, serverAddress } = await pair()
    server.onRequest(() => ({ code: '2.04' }))
    const peer = await raw()
    peer.send(serverAddress, { type: 'CON', code: '0.02', messageId: 1, token, options: [{ number: 27, value: encodeUint(3 * 16 + 8 + 2) }], payload: new Uint8Array(64) })
    expect((await peer.next()).msg.code).toBe('4.08')
  })
})

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export type { CoapEndpoint }
