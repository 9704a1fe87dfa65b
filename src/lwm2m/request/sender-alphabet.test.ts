import { describe, expect, it } from 'vitest'
import type { CoapRequestInit, CoapResponse } from '../../transport/coap/request.js'
import { ContentFormat } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import type { LwM2mRequest } from './types.js'
import { createRequestSender } from './sender.js'

const peer = { address: '127.0.0.1', port: 5683 }
const models = loadDefaultModels()
const text = (p: CoapRequestInit['payload']) => (typeof p === 'string' ? p : new TextDecoder().decode(p))

/** A device whose SenML JSON decoder takes one base64 alphabet only, as real clients do. */
function device(accepts: 'base64' | 'base64url') {
  const payloads: string[] = []
  const coap = {
    async request(_peer: unknown, req: CoapRequestInit): Promise<CoapResponse> {
      const body = text(req.payload)
      payloads.push(body)
      const vd = /"vd":"([^"]*)"/.exec(body)?.[1] ?? ''
      const bad = accepts === 'base64' ? /[-_]/.test(vd) : /[+/=]/.test(vd)
      return { code: bad ? '4.00' : '2.04', payload: new Uint8Array(), locationPath: [], options: [] } as unknown as CoapResponse
    },
    observe: () => Promise.reject(new Error('unused')),
  }
  return { coap, payloads }
}

// 0xfb 0xff 0xbf: base64 "+/+/", base64url "-_-_".
const write = (value: Uint8Array): LwM2mRequest => ({
  kind: 'bootstrapWrite',
  path: { objectId: 0, instanceId: 1 },
  node: { kind: 'instance', id: 1, resources: new Map([[5, { kind: 'resource', id: 5, type: 'opaque', value }]]) },
  format: ContentFormat.SENML_JSON,
})
const tricky = new Uint8Array([0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf])

describe('SenML JSON opaque alphabet', () => {
  it('writes base64url first and retries once in the standard alphabet on 4.00, then starts with it', async () => {
    const d = device('base64')
    const sender = createRequestSender({ coap: d.coap, models })
    expect((await sender.send({ peer, endpoint: 'wk' }, write(tricky))).coapCode).toBe('2.04')
    expect(d.payloads.map((p) => /"vd":"([^"]*)"/.exec(p)?.[1])).toEqual(['-_-_-_-_', '+/+/+/+/'])
    expect((await sender.send({ peer, endpoint: 'wk' }, write(tricky))).coapCode).toBe('2.04')
    expect(d.payloads).toHaveLength(3)
    expect(d.payloads[2]).toContain('+/+/')
  })

  it('keeps RFC 8428 clients on base64url', async () => {
    const d = device('base64url')
    const sender = createRequestSender({ coap: d.coap, models })
    expect((await sender.send({ peer, endpoint: 'rfc' }, write(tricky))).coapCode).toBe('2.04')
    expect(d.payloads).toHaveLength(1)
  })

  it('does not retry a 4.00 when both alphabets give the same text', async () => {
    const d = device('base64')
    d.coap.request = async (_p: unknown, req: CoapRequestInit) => {
      d.payloads.push(text(req.payload))
      return { code: '4.00', payload: new Uint8Array(), locationPath: [], options: [] } as unknown as CoapResponse
    }
    const sender = createRequestSender({ coap: d.coap, models })
    expect((await sender.send({ peer, endpoint: 'x' }, write(new Uint8Array([1, 2, 3])))).coapCode).toBe('4.00')
    expect(d.payloads).toHaveLength(1)
  })
})
