import { describe, expect, it } from 'vitest'
import type { CoapResponse } from '../../transport/coap/request.js'
import { codecFor } from '../codec/index.js'
import { ContentFormat as CF } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import { parsePath } from '../path.js'
import { InvalidRequestError } from './errors.js'
import { temperatureInstance } from './fixtures.js'
import { fromCoapResponse, rootSegments, toCoapRequest } from './translate.js'
import type { LwM2mRequest } from './types.js'

const models = loadDefaultModels()
const v11 = { lwm2mVersion: '1.1' as const, contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] }
const p = parsePath

function response(code: string, extra: Partial<CoapResponse> = {}): CoapResponse {
  return { code, locationPath: [], locationQuery: [], payload: new Uint8Array(0), options: [], ...extra }
}

describe('toCoapRequest', () => {
  it('reads with GET under the root path, asking for the chosen format', () => {
    const { coap, format } = toCoapRequest({ kind: 'read', path: p('/3303/0') }, { ...v11, rootPath: '/lwm2m' }, models)
    expect(coap).toEqual({ method: 'GET', path: ['lwm2m', '3303', '0'], accept: CF.SENML_CBOR })
    expect(format).toBe(CF.SENML_CBOR)
  })

  it('reads a 1.0 client in TLV and honours an explicit format', () => {
    expect(toCoapRequest({ kind: 'read', path: p('/3/0') }, { lwm2mVersion: '1.0' }, models).coap.accept).toBe(CF.TLV)
    expect(toCoapRequest({ kind: 'read', path: p('/3/0/0'), format: CF.TEXT }, v11, models).coap.accept).toBe(CF.TEXT)
  })

  it('discovers with GET asking for link format', () => {
    expect(toCoapRequest({ kind: 'discover', path: p('/3') }, v11, models).coap).toEqual({ method: 'GET', path: ['3'], accept: CF.LINK })
    expect(toCoapRequest({ kind: 'bootstrapDiscover', path: {} }, v11, models).coap).toEqual({ method: 'GET', path: [], accept: CF.LINK })
  })

  it('writes replace with PUT and update with POST, encoded in the chosen format', () => {
    const node = temperatureInstance(0)
    const put = toCoapRequest({ kind: 'write', mode: 'replace', path: p('/3303/0'), node }, v11, models).coap
    expect(put.method).toBe('PUT')
    expect(put.contentFormat).toBe(CF.SENML_CBOR)
    expect(codecFor(CF.SENML_CBOR).decode(put.payload as Uint8Array, p('/3303/0'), models)).toEqual(node)
    const post = toCoapRequest({ kind: 'write', mode: 'update', path: p('/3303/0'), node, format: CF.TLV }, v11, models).coap
    expect(post).toMatchObject({ method: 'POST', path: ['3303', '0'], contentFormat: CF.TLV })
  })

  it('executes with POST and the arguments as text', () => {
    expect(toCoapRequest({ kind: 'execute', path: p('/3/0/4') }, v11, models).coap).toEqual({ method: 'POST', path: ['3', '0', '4'] })
    expect(toCoapRequest({ kind: 'execute', path: p('/3/0/4'), args: "0='x'" }, v11, models).coap).toEqual({
      method: 'POST', path: ['3', '0', '4'], contentFormat: CF.TEXT, payload: "0='x'",
    })
  })

  it('creates with POST on the object path, the instance id in the payload', () => {
    const { coap } = toCoapRequest({ kind: 'create', path: p('/3303'), node: temperatureInstance(7), format: CF.TLV }, v11, models)
    expect(coap).toMatchObject({ method: 'POST', path: ['3303'], contentFormat: CF.TLV })
    const decoded = codecFor(CF.TLV).decode(coap.payload as Uint8Array, p('/3303'), models)
    expect(decoded.kind === 'object' && [...decoded.instances.keys()]).toEqual([7])
  })

  it('creates without instance id as bare resource TLVs', () => {
    const { coap } = toCoapRequest({ kind: 'create', path: p('/3303'), node: temperatureInstance(3), clientChoosesId: true }, v11, models)
    expect(coap).toMatchObject({ method: 'POST', path: ['3303'], contentFormat: CF.TLV })
    expect((coap.payload as Uint8Array)[0] & 0xc0).toBe(0xc0)
    expect(codecFor(CF.TLV).decode(coap.payload as Uint8Array, p('/3303/3'), models)).toEqual(temperatureInstance(3))
  })

  it('refuses a create without instance id in another format than TLV, or of a whole object', () => {
    expect(() => toCoapRequest({ kind: 'create', path: p('/3303'), node: temperatureInstance(3), clientChoosesId: true, format: CF.SENML_JSON }, v11, models)).toThrow(InvalidRequestError)
    const object = { kind: 'object' as const, id: 3303, instances: new Map([[1, temperatureInstance(1)]]) }
    expect(() => toCoapRequest({ kind: 'create', path: p('/3303'), node: object, clientChoosesId: true }, v11, models)).toThrow(InvalidRequestError)
  })

  it('refuses a create that is not on an object path', () => {
    expect(() => toCoapRequest({ kind: 'create', path: p('/3303/1'), node: temperatureInstance(1) }, v11, models)).toThrow(InvalidRequestError)
  })

  it('refuses a node that does not encode at its path, as a typed error', () => {
    const req: LwM2mRequest = { kind: 'write', mode: 'replace', path: p('/3303/0/5700'), node: temperatureInstance(0), format: CF.TEXT }
    expect(() => toCoapRequest(req, v11, models)).toThrow(InvalidRequestError)
  })

  it('deletes with DELETE; bootstrap delete of everything has no Uri-Path', () => {
    expect(toCoapRequest({ kind: 'delete', path: p('/3303/1') }, v11, models).coap).toEqual({ method: 'DELETE', path: ['3303', '1'] })
    expect(toCoapRequest({ kind: 'bootstrapDelete', path: {} }, v11, models).coap).toEqual({ method: 'DELETE', path: [] })
  })

  it('writes attributes as a PUT with a query and no payload', () => {
    const { coap } = toCoapRequest({ kind: 'writeAttributes', path: p('/3303/0/5700'), attributes: { pmin: 1, pmax: 10, gt: 30, st: null } }, v11, models)
    expect(coap).toEqual({ method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=1', 'pmax=10', 'gt=30', 'st'] })
  })

  it('refuses inconsistent attributes as a typed error', () => {
    expect(() => toCoapRequest({ kind: 'writeAttributes', path: p('/3303/0/5700'), attributes: { pmin: 20, pmax: 10 } }, v11, models)).toThrow(InvalidRequestError)
  })

  it('bootstrap-writes with PUT and finishes with POST /bs outside the root path', () => {
    const w = toCoapRequest({ kind: 'bootstrapWrite', path: p('/1/0'), node: { kind: 'instance', id: 0, resources: new Map() }, format: CF.TLV }, { lwm2mVersion: '1.0' }, models)
    expect(w.coap).toMatchObject({ method: 'PUT', path: ['1', '0'], contentFormat: CF.TLV })
    expect(toCoapRequest({ kind: 'bootstrapFinish' }, { rootPath: '/lwm2m' }, models).coap).toEqual({ method: 'POST', path: ['bs'] })
    expect(toCoapRequest({ kind: 'bootstrapRead', path: p('/1') }, { lwm2mVersion: '1.1', contentFormats: [CF.SENML_JSON] }, models).coap)
      .toEqual({ method: 'GET', path: ['1'], accept: CF.SENML_JSON })
  })

  it('splits root paths into segments', () => {
    expect(rootSegments(undefined)).toEqual([])
    expect(rootSegments('/')).toEqual([])
    expect(rootSegments('/a/b/')).toEqual(['a', 'b'])
  })
})

describe('fromCoapResponse', () => {
  const read: LwM2mRequest = { kind: 'read', path: p('/3303/0') }

  it('decodes content at the request path with the response Content-Format', () => {
    const payload = codecFor(CF.SENML_JSON).encode(temperatureInstance(0), p('/3303/0'), models)
    const r = fromCoapResponse(read, response('2.05', { contentFormat: CF.SENML_JSON, payload }), CF.TLV, models)
    expect(r).toEqual({ code: 'CONTENT', coapCode: '2.05', success: true, node: temperatureInstance(0), format: CF.SENML_JSON })
  })

  it('decodes content without Content-Format in the requested format', () => {
    const payload = codecFor(CF.TLV).encode(temperatureInstance(0), p('/3303/0'), models)
    expect(fromCoapResponse(read, response('2.05', { payload }), CF.TLV, models).node).toEqual(temperatureInstance(0))
  })

  it('reports an undecodable payload as an unsuccessful response, not a throw', () => {
    const r = fromCoapResponse(read, response('2.05', { contentFormat: CF.TLV, payload: new Uint8Array([0xff, 0xff]) }), CF.TLV, models)
    expect(r.success).toBe(false)
    expect(r.code).toBe('CONTENT')
    expect(r.errorMessage).toMatch(/undecodable/)
  })

  it('reports content in a format without codec as unsuccessful', () => {
    const r = fromCoapResponse(read, response('2.05', { contentFormat: 9999, payload: new Uint8Array([1]) }), CF.TLV, models)
    expect(r.success).toBe(false)
  })

  it('keeps LwM2M errors as values with their diagnostic payload', () => {
    const r = fromCoapResponse(read, response('4.04', { payload: new TextEncoder().encode('no such instance') }), CF.TLV, models)
    expect(r).toEqual({ code: 'NOT_FOUND', coapCode: '4.04', success: false, errorMessage: 'no such instance' })
  })

  it('parses discover links', () => {
    const payload = new TextEncoder().encode('</3303>;ver=1.1,</3303/0/5700>;pmin=10')
    const r = fromCoapResponse({ kind: 'discover', path: p('/3303') }, response('2.05', { contentFormat: CF.LINK, payload }), CF.LINK, models)
    expect(r.links).toEqual([{ target: '/3303', attributes: { ver: '1.1' } }, { target: '/3303/0/5700', attributes: { pmin: 10 } }])
  })

  it('reports malformed discover links as unsuccessful', () => {
    const payload = new TextEncoder().encode('</3303')
    const r = fromCoapResponse({ kind: 'discover', path: p('/3303') }, response('2.05', { contentFormat: CF.LINK, payload }), CF.LINK, models)
    expect(r.success).toBe(false)
    expect(r.errorMessage).toBeDefined()
  })

  it('gives the Location-Path of a create', () => {
    const r = fromCoapResponse({ kind: 'create', path: p('/3303'), node: temperatureInstance(1) }, response('2.01', { locationPath: ['3303', '1'] }), CF.TLV, models)
    expect(r).toEqual({ code: 'CREATED', coapCode: '2.01', success: true, location: '/3303/1' })
  })
})

describe('toCoapRequest path checks', () => {
  const bad: LwM2mRequest[] = [
    { kind: 'read', path: {} },
    { kind: 'discover', path: {} },
    { kind: 'observe', path: {} },
    { kind: 'write', mode: 'replace', path: p('/3303'), node: temperatureInstance(0) },
    { kind: 'execute', path: p('/3/0') },
    { kind: 'delete', path: p('/3303') },
    { kind: 'delete', path: {} },
    { kind: 'writeAttributes', path: {}, attributes: { pmin: 1 } },
    { kind: 'bootstrapWrite', path: {}, node: temperatureInstance(0) },
    { kind: 'bootstrapDiscover', path: p('/1/0') },
    { kind: 'bootstrapDelete', path: p('/1/0/1') },
  ]
  for (const request of bad) {
    it(`refuses ${request.kind} on ${'path' in request ? JSON.stringify(request.path) : ''}`, () => {
      expect(() => toCoapRequest(request, v11, models)).toThrow(InvalidRequestError)
    })
  }
})

describe('fromCoapResponse for notifications', () => {
  it('gives every time of a SenML notification with history, newest first, and the newest as node', () => {
    const payload = new TextEncoder().encode(JSON.stringify([{ bn: '/3303/0/5700', bt: 1700000000, v: 21 }, { t: 10, v: 22 }]))
    const r = fromCoapResponse({ kind: 'observe', path: p('/3303/0/5700') }, response('2.05', { contentFormat: CF.SENML_JSON, payload }), CF.SENML_JSON, models)
    expect(r.node).toEqual({ kind: 'resource', id: 5700, type: 'float', value: 22 })
    expect(r.timestamped?.map((t) => t.time)).toEqual([1700000010, 1700000000])
  })

  it('gives no history for a plain notification', () => {
    const payload = codecFor(CF.SENML_JSON).encode(temperatureInstance(0), p('/3303/0'), models)
    const r = fromCoapResponse({ kind: 'observe', path: p('/3303/0') }, response('2.05', { contentFormat: CF.SENML_JSON, payload }), CF.SENML_JSON, models)
    expect(r.timestamped).toBeUndefined()
    expect(r.node).toEqual(temperatureInstance(0))
  })

  it('reports discover links that are not UTF-8 as unsuccessful', () => {
    const r = fromCoapResponse({ kind: 'discover', path: p('/3303') }, response('2.05', { contentFormat: CF.LINK, payload: new Uint8Array([0x3c, 0xff, 0x3e]) }), CF.LINK, models)
    expect(r).toMatchObject({ success: false, errorMessage: 'undecodable links: not UTF-8 text' })
  })
})

describe('fromCoapResponse for unexpected success codes', () => {
  it('does not decode a read answered with something else than 2.05', () => {
    const r = fromCoapResponse({ kind: 'read', path: p('/3303/0') }, response('2.04'), CF.TLV, models)
    expect(r).toEqual({ code: 'CHANGED', coapCode: '2.04', success: false, errorMessage: 'unexpected 2.04 answer to read' })
  })

  it('accepts any 2.xx for requests without content', () => {
    expect(fromCoapResponse({ kind: 'delete', path: p('/3303/0') }, response('2.04'), undefined, models).success).toBe(true)
  })
})

describe('toCoapRequest refusals', () => {
  it('refuses a partial update of a single resource or a resource instance', () => {
    const res = { kind: 'resource' as const, id: 5700, type: 'float' as const, value: 1 }
    expect(() => toCoapRequest({ kind: 'write', mode: 'update', path: p('/3303/0/5700'), node: res }, v11, models)).toThrow(/use replace/)
    const ri = { kind: 'resourceInstance' as const, id: 0, type: 'integer' as const, value: 1 }
    expect(() => toCoapRequest({ kind: 'write', mode: 'update', path: p('/3/0/6/0'), node: ri }, v11, models)).toThrow(InvalidRequestError)
    expect(toCoapRequest({ kind: 'write', mode: 'replace', path: p('/3303/0/5700'), node: res }, v11, models).coap.method).toBe('PUT')
  })

  it('refuses write-attributes without any attribute', () => {
    expect(() => toCoapRequest({ kind: 'writeAttributes', path: p('/3303/0'), attributes: {} }, v11, models)).toThrow(InvalidRequestError)
  })
})
