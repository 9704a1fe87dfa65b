/** Observe-Composite (TS Core §6.4.3) through the translators: FETCH / + SenML paths, and its answers. */
import { describe, expect, it } from 'vitest'
import type { CoapRequest, CoapRequester, CoapRequestInit } from '../../transport/types.js'
import type { CoapResponse } from '../../transport/coap/request.js'
import { decodeCompositePaths, decodeCompositeTimes } from '../codec/composite.js'
import { ContentFormat as CF } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import { parsePath } from '../path.js'
import { parseLwM2mRequest } from './device-side.js'
import { InvalidRequestError } from './errors.js'
import { createRequestSender } from './sender.js'
import { fromCoapResponse, toCoapRequest } from './translate.js'
import type { LwM2mRequest, LwM2mResponse } from './types.js'

const models = loadDefaultModels()
const v11 = { lwm2mVersion: '1.1' as const, contentFormats: [CF.SENML_JSON, CF.SENML_CBOR] }
const p = parsePath
const text = (b: Uint8Array | string | undefined) => (typeof b === 'string' ? b : new TextDecoder().decode(b))
const request: LwM2mRequest = { kind: 'observeComposite', paths: [p('/3/0/13'), p('/3303/0/5700')], format: CF.SENML_JSON }

function response(payload: string, extra: Partial<CoapResponse> = {}): CoapResponse {
  return { code: '2.05', locationPath: [], locationQuery: [], payload: new TextEncoder().encode(payload), options: [], contentFormat: CF.SENML_JSON, observe: 3, ...extra }
}

describe('Observe-Composite request', () => {
  it('is a FETCH on the root with the paths in SenML, accepting the same format', () => {
    const { coap, format } = toCoapRequest(request, { ...v11, rootPath: '/lwm2m' }, models)
    expect(coap).toMatchObject({ method: 'FETCH', path: ['lwm2m'], contentFormat: CF.SENML_JSON, accept: CF.SENML_JSON })
    expect(text(coap.payload)).toBe('[{"n":"/3/0/13"},{"n":"/3303/0/5700"}]')
    expect(format).toBe(CF.SENML_JSON)
    // SenML CBOR when the client lists it and no format is asked for.
    const cbor = toCoapRequest({ kind: 'observeComposite', paths: [p('/3303/0')] }, v11, models).coap
    expect(cbor.contentFormat).toBe(CF.SENML_CBOR)
    expect(decodeCompositePaths(CF.SENML_CBOR, cbor.payload as Uint8Array)).toEqual([p('/3303/0')])
  })

  it('refuses what Read-Composite refuses: no paths, duplicates, the root, more than 100, a 1.0 client, a non-SenML format', () => {
    for (const paths of [[], [p('/3/0'), p('/3/0')], [p('/')], Array.from({ length: 101 }, (_, i) => p(`/3/0/${i}`))]) {
      expect(() => toCoapRequest({ kind: 'observeComposite', paths }, v11, models)).toThrow(InvalidRequestError)
    }
    expect(() => toCoapRequest({ kind: 'observeComposite', paths: [p('/3/0')] }, { lwm2mVersion: '1.0' }, models)).toThrow(/1\.1/)
    expect(() => toCoapRequest({ kind: 'observeComposite', paths: [p('/3/0')], format: CF.TLV }, v11, models)).toThrow(/SenML/)
  })
})

describe('Observe-Composite answers', () => {
  it('decodes the values of every path, with the SenML times when the records carry them', () => {
    const payload = '[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":21.5},{"n":"5700","v":22,"t":10},{"bn":"/3/0/","n":"13","v":1700000005}]'
    const res = fromCoapResponse(request, response(payload), CF.SENML_JSON, models)
    expect(res.success).toBe(true)
    expect(res.composite?.map(([path]) => path)).toEqual([p('/3/0/13'), p('/3303/0/5700')])
    // The newest of a path's records; the base time holds for the records after it (RFC 8428 §4.1).
    const times = { '/3303/0/5700': 1700000010, '/3/0/13': 1700000000 }
    expect(res.times).toEqual(times)
    expect(decodeCompositeTimes(CF.SENML_JSON, new TextEncoder().encode(payload))).toEqual(times)
  })

  it('gives no times for untimed records, and success: false (never a throw) for records outside the paths or bad SenML', () => {
    const plain = fromCoapResponse(request, response('[{"n":"/3303/0/5700","v":21.5}]'), CF.SENML_JSON, models)
    expect(plain).toMatchObject({ success: true, code: 'CONTENT' })
    expect(plain.times).toBeUndefined()
    expect(fromCoapResponse(request, response('[{"n":"/3/0/0","vs":"x"}]'), CF.SENML_JSON, models)).toMatchObject({ success: false, errorMessage: expect.stringContaining('none of the requested paths') })
    expect(fromCoapResponse(request, response('[{"n":'), CF.SENML_JSON, models).success).toBe(false)
    expect(fromCoapResponse(request, response('', { code: '2.04' }), CF.SENML_JSON, models).success).toBe(false)
    expect(fromCoapResponse(request, response('nope', { code: '4.04' }), CF.SENML_JSON, models)).toMatchObject({ success: false, code: 'NOT_FOUND' })
  })
})

describe('Observe-Composite on the device side', () => {
  const fetch = (observe: number | undefined): CoapRequest => ({
    options: [],
    confirmable: true,
    method: 'FETCH',
    path: [],
    query: [],
    contentFormat: CF.SENML_JSON,
    accept: CF.SENML_JSON,
    payload: new TextEncoder().encode('[{"n":"/3/0/13"},{"n":"/3303/0/5700"}]'),
    ...(observe !== undefined && { observe }),
  })

  it('parses FETCH with Observe 0 as observeComposite, and Observe 1 (the cancel) or none as a Read-Composite', () => {
    expect(parseLwM2mRequest(fetch(0), { models })).toEqual({ kind: 'observeComposite', paths: [p('/3/0/13'), p('/3303/0/5700')], format: CF.SENML_JSON })
    expect(parseLwM2mRequest(fetch(1), { models })).toMatchObject({ kind: 'readComposite' })
    expect(parseLwM2mRequest(fetch(undefined), { models })).toMatchObject({ kind: 'readComposite' })
  })
})

describe('Observe-Composite through the request sender', () => {
  it('observes with one FETCH, decodes the first answer and each notification (with times), and cancels through the relation', async () => {
    const sent: CoapRequestInit[] = []
    let notify: ((r: CoapResponse) => void) | undefined
    let cancelled = 0
    const coap: CoapRequester = {
      request: () => Promise.reject(new Error('not used')),
      observe: async (_peer, init, on) => {
        sent.push(init)
        notify = on
        return { first: response('[{"n":"/3/0/13","v":1},{"n":"/3303/0/5700","v":20}]'), active: true, cancel: async () => void cancelled++ }
      },
    }
    const sender = createRequestSender({ coap, models })
    const seen: LwM2mResponse[] = []
    const target = { peer: { address: '127.0.0.1', port: 5683 }, ...v11 }
    const obs = await sender.observe(target, request, (r) => seen.push(r))
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ method: 'FETCH', contentFormat: CF.SENML_JSON })
    expect(obs.active).toBe(true)
    expect(obs.response.composite).toHaveLength(2)
    notify!(response('[{"bn":"/3303/0/","bt":1700000000,"n":"5700","v":21}]', { observe: 4 }))
    expect(seen[0]).toMatchObject({ success: true, times: { '/3303/0/5700': 1700000000 } })
    expect(seen[0].composite?.map(([p]) => p)).toEqual([p('/3303/0/5700')])
    await obs.cancel()
    expect(cancelled).toBe(1)
    await expect(sender.send(target, request)).rejects.toThrow(/observe\(\)/)
  })
})
