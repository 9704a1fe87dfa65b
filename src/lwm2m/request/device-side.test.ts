import { describe, expect, it } from 'vitest'
import { payloadBytes, type CoapRequest, type CoapRequestInit } from '../../transport/coap/request.js'
import { codecFor } from '../codec/index.js'
import { ContentFormat as CF } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import { parsePath } from '../path.js'
import { isRequestParseError, negotiateFormat, parseLwM2mRequest, toCoapResponse } from './device-side.js'
import { temperatureInstance } from './fixtures.js'
import { fromCoapResponse, toCoapRequest } from './translate.js'
import type { LwM2mRequest } from './types.js'

const models = loadDefaultModels()
const p = parsePath
const v11 = { lwm2mVersion: '1.1' as const, contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] }

/** The CoAP request a device receives for an init the server sent (observe as the endpoint adds it). */
function received(init: CoapRequestInit, observe?: number): CoapRequest {
  return {
    method: init.method,
    path: init.path ?? [],
    query: init.query ?? [],
    contentFormat: init.contentFormat,
    accept: init.accept,
    observe: observe ?? init.observe,
    payload: payloadBytes(init.payload),
    options: [],
    confirmable: true,
  }
}

function bare(method: CoapRequest['method'], path: string[], extra: Partial<CoapRequest> = {}): CoapRequest {
  return { method, path, query: [], payload: new Uint8Array(0), options: [], confirmable: true, ...extra }
}

describe('parseLwM2mRequest', () => {
  const roundTrips: Array<[string, LwM2mRequest, { bootstrap?: boolean; observe?: number }?]> = [
    ['read', { kind: 'read', path: p('/3303/0'), format: CF.SENML_CBOR }],
    ['discover', { kind: 'discover', path: p('/3303') }],
    ['write replace', { kind: 'write', mode: 'replace', path: p('/3303/0'), node: temperatureInstance(0), format: CF.SENML_CBOR }],
    ['write update', { kind: 'write', mode: 'update', path: p('/3303/0'), node: temperatureInstance(0), format: CF.TLV }],
    ['execute without arguments', { kind: 'execute', path: p('/3/0/4') }],
    ['execute with arguments', { kind: 'execute', path: p('/3/0/4'), args: "0='a',1" }],
    ['create', { kind: 'create', path: p('/3303'), node: temperatureInstance(4), format: CF.SENML_JSON }],
    ['create without instance id', { kind: 'create', path: p('/3303'), node: temperatureInstance(0), format: CF.TLV, clientChoosesId: true }],
    ['delete', { kind: 'delete', path: p('/3303/4') }],
    ['write attributes', { kind: 'writeAttributes', path: p('/3303/0/5700'), attributes: { pmin: 1, gt: 25.5, st: null } }],
    ['observe', { kind: 'observe', path: p('/3303/0/5700'), format: CF.TLV }, { observe: 0 }],
    ['bootstrap delete of everything', { kind: 'bootstrapDelete', path: {} }],
    ['bootstrap delete', { kind: 'bootstrapDelete', path: p('/1') }, { bootstrap: true }],
    ['bootstrap write', { kind: 'bootstrapWrite', path: p('/3303/0'), node: temperatureInstance(0), format: CF.TLV }, { bootstrap: true }],
    ['bootstrap discover', { kind: 'bootstrapDiscover', path: {} }, { bootstrap: true }],
    ['bootstrap read', { kind: 'bootstrapRead', path: p('/1'), format: CF.SENML_JSON }, { bootstrap: true }],
    ['bootstrap finish', { kind: 'bootstrapFinish' }],
  ]

  for (const [name, request, o = {}] of roundTrips) {
    it(`reads back a ${name} the sender translated`, () => {
      const { coap } = toCoapRequest(request, v11, models)
      const parsed = parseLwM2mRequest(received(coap, o.observe), { models, bootstrap: o.bootstrap })
      expect(parsed).toEqual(request)
    })
  }

  it('strips the device root path', () => {
    const { coap } = toCoapRequest({ kind: 'read', path: p('/3/0') }, { rootPath: '/lwm2m' }, models)
    expect(parseLwM2mRequest(received(coap), { models, rootPath: '/lwm2m' })).toEqual({ kind: 'read', path: p('/3/0'), format: CF.TLV })
    expect(parseLwM2mRequest(bare('GET', ['3', '0']), { models, rootPath: '/lwm2m' })).toMatchObject({ error: 'NOT_FOUND' })
  })

  it('treats a cancelling GET (Observe=1) as a read', () => {
    expect(parseLwM2mRequest(bare('GET', ['3303', '0'], { observe: 1 }), { models })).toEqual({ kind: 'read', path: p('/3303/0') })
  })

  it('answers a path that is not an LwM2M path with 4.04', () => {
    const r = parseLwM2mRequest(bare('GET', ['rd', 'x']), { models })
    expect(isRequestParseError(r) && r.error).toBe('NOT_FOUND')
  })

  it('refuses methods and paths LwM2M does not define', () => {
    expect(parseLwM2mRequest(bare('FETCH', ['3']), { models })).toMatchObject({ error: 'METHOD_NOT_ALLOWED' })
    expect(parseLwM2mRequest(bare('DELETE', ['3']), { models })).toMatchObject({ error: 'METHOD_NOT_ALLOWED' })
    expect(parseLwM2mRequest(bare('PUT', ['3'], { contentFormat: CF.TLV, payload: new Uint8Array([0]) }), { models })).toMatchObject({ error: 'METHOD_NOT_ALLOWED' })
    expect(parseLwM2mRequest(bare('POST', ['3', '0', '1', '2']), { models })).toMatchObject({ error: 'METHOD_NOT_ALLOWED' })
  })

  it('answers an undecodable write with 4.00 and an unknown format with 4.15', () => {
    expect(parseLwM2mRequest(bare('PUT', ['3303', '0'], { contentFormat: CF.TLV, payload: new Uint8Array([0xff]) }), { models })).toMatchObject({ error: 'BAD_REQUEST' })
    expect(parseLwM2mRequest(bare('PUT', ['3303', '0'], { contentFormat: 9999, payload: new Uint8Array([1]) }), { models })).toMatchObject({ error: 'UNSUPPORTED_CONTENT_FORMAT' })
  })

  it('answers bad attributes with 4.00', () => {
    expect(parseLwM2mRequest(bare('PUT', ['3303', '0', '5700'], { query: ['color=red'] }), { models })).toMatchObject({ error: 'BAD_REQUEST' })
  })

  it('refuses execute arguments that are not text', () => {
    expect(parseLwM2mRequest(bare('POST', ['3', '0', '4'], { contentFormat: CF.TLV, payload: new Uint8Array([1]) }), { models })).toMatchObject({ error: 'UNSUPPORTED_CONTENT_FORMAT' })
    expect(parseLwM2mRequest(bare('POST', ['3', '0', '4'], { payload: new Uint8Array([0xc3]) }), { models })).toMatchObject({ error: 'BAD_REQUEST' })
  })

  it('takes content on a writable multiple resource as a partial update, not an execute', () => {
    // ACL /2/0/2 (Access Control) is a writable multiple resource.
    const node = { kind: 'multipleResource' as const, id: 2, type: 'integer' as const, instances: new Map([[101, 15]]) }
    const { coap } = toCoapRequest({ kind: 'write', mode: 'update', path: p('/2/0/2'), node, format: CF.TLV }, v11, models)
    expect(parseLwM2mRequest(received(coap), { models })).toEqual({ kind: 'write', mode: 'update', path: p('/2/0/2'), node, format: CF.TLV })
  })
})

describe('toCoapResponse', () => {
  it('encodes the node at the request path in the asked format', () => {
    const res = toCoapResponse({ code: 'CONTENT', node: temperatureInstance(0), format: CF.SENML_JSON }, p('/3303/0'), models)
    expect(res.code).toBe('2.05')
    expect(res.contentFormat).toBe(CF.SENML_JSON)
    expect(codecFor(CF.SENML_JSON).decode(res.payload as Uint8Array, p('/3303/0'), models)).toEqual(temperatureInstance(0))
  })

  it('encodes in TLV when no format is given', () => {
    expect(toCoapResponse({ code: 'CONTENT', node: temperatureInstance(0) }, p('/3303/0'), models).contentFormat).toBe(CF.TLV)
  })

  it('answers a node that does not encode with 5.00', () => {
    expect(toCoapResponse({ code: 'CONTENT', node: temperatureInstance(0), format: CF.TEXT }, p('/3303/0'), models).code).toBe('5.00')
  })

  it('writes links, locations and error messages', () => {
    expect(toCoapResponse({ code: 'CONTENT', links: [{ target: '/3303/0', attributes: {} }] }, p('/3303'), models)).toEqual({ code: '2.05', contentFormat: CF.LINK, payload: '</3303/0>' })
    expect(toCoapResponse({ code: 'CREATED', location: '/3303/1' }, p('/3303'), models)).toEqual({ code: '2.01', locationPath: ['3303', '1'] })
    expect(toCoapResponse({ code: 'NOT_FOUND', errorMessage: 'gone' }, p('/3303/9'), models)).toEqual({ code: '4.04', payload: 'gone' })
    expect(toCoapResponse({ code: 'CHANGED' }, p('/3303/0'), models)).toEqual({ code: '2.04' })
  })

  it('is read back by the sender side into the same values', () => {
    const path = p('/3303/0')
    const res = toCoapResponse({ code: 'CONTENT', node: temperatureInstance(0), format: CF.SENML_CBOR }, path, models)
    const back = fromCoapResponse({ kind: 'read', path }, { code: res.code, contentFormat: res.contentFormat, payload: payloadBytes(res.payload), locationPath: [], locationQuery: [], options: [] }, CF.SENML_CBOR, models)
    expect(back).toMatchObject({ success: true, node: temperatureInstance(0) })
  })
})

describe('negotiateFormat', () => {
  it('answers in the Accept when supported, else not at all, else the fallback', () => {
    expect(negotiateFormat(CF.SENML_JSON, [CF.TLV, CF.SENML_JSON])).toBe(CF.SENML_JSON)
    expect(negotiateFormat(CF.SENML_CBOR, [CF.TLV])).toBeUndefined()
    expect(negotiateFormat(undefined, [CF.TLV])).toBe(CF.TLV)
  })
})
