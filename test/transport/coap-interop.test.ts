/** Interop over plain UDP: libcoap's coap-client-notls against our endpoint. */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoapEndpoint, CoapRequest } from '../../src/transport/coap/index.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { givenEndpoint, text } from './coap-helpers.js'

const run = promisify(execFile)
const CLIENT = '/usr/bin/coap-client-notls'

describe.skipIf(!existsSync(CLIENT))('libcoap coap-client-notls against our endpoint over UDP', () => {
  let endpoint: CoapEndpoint
  let address: PeerAddress
  const received: CoapRequest[] = []
  const closedReasons: string[] = []

  beforeAll(async () => {
    ;({ endpoint, address } = await givenEndpoint({ ackTimeoutMs: 2000, piggybackDelayMs: 1000 }))
    endpoint.onRequest((req, ctx) => {
      received.push(req)
      const relation = ctx.acceptObserve?.()
      if (relation) {
        let n = 0
        const timer = setInterval(() => void relation.notify({ code: '2.05', payload: `n${++n}` }, { confirmable: n % 2 === 0 }).catch(() => {}), 200)
        relation.onClose((reason) => {
          clearInterval(timer)
          closedReasons.push(reason)
        })
        return { code: '2.05', payload: 'n0' }
      }
      if (req.path[0] === 'big') return { code: '2.05', contentFormat: 0, payload: 'b'.repeat(3000) }
      return { code: req.method === 'GET' ? '2.05' : '2.04', contentFormat: 0, payload: `${req.method} ${req.path.join('/')} ${req.query.join('&')} [${text(req.payload)}]` }
    })
  })
  afterAll(() => endpoint.stop())

  const client = async (...args: string[]) => (await run(CLIENT, args, { timeout: 20_000 })).stdout.trim()
  const uri = (pathAndQuery: string) => `coap://127.0.0.1:${address.port}${pathAndQuery}`

  it('answers a GET with Uri-Query, ignoring the Uri-Port libcoap adds', async () => {
    expect(await client('-m', 'get', uri('/3/0?x=1'))).toBe('GET 3/0 x=1 []')
    expect(received.at(-1)!.options.some((o) => o.number === 7)).toBe(true)
  })

  it('answers a POST with Uri-Query and payload', async () => {
    expect(await client('-m', 'post', '-e', '</3/0>', uri('/rd?ep=dev1&lt=300'))).toBe('POST rd ep=dev1&lt=300 [</3/0>]')
  })

  it('serves a large response block by block (Block2)', async () => {
    expect(await client('-m', 'get', uri('/big'))).toBe('b'.repeat(3000))
  })

  it('reassembles a large request sent in blocks (Block1)', async () => {
    const body = 'y'.repeat(500)
    expect(await client('-m', 'put', '-b', '64', '-e', body, uri('/up'))).toBe(`PUT up  [${body}]`)
  })

  it('serves an observation to libcoap (-s) and ends it when libcoap deregisters', async () => {
    const out = await client('-s', '2', '-m', 'get', uri('/obs'))
    expect(out).toMatch(/^n0n1n2/)
    for (const deadline = Date.now() + 10_000; closedReasons.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20))
    expect(closedReasons).toEqual(['deregistered'])
  })

  it('answers a NON request', async () => {
    expect(await client('-m', 'get', '-N', uri('/n'))).toBe('GET n  []')
  })
})
