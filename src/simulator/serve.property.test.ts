import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { parseLwM2mRequest, toCoapResponse } from '../lwm2m/request/device-side.js'
import type { CoapMethod, CoapRequest } from '../transport/index.js'
import { createAttributeStore } from './attributes-store.js'
import { writeDeviceObject, writeSecurityInstance, writeServerInstance, writeTemperatureObject } from './default-objects.js'
import { createObjectTree } from './object-tree.js'
import { createObservations } from './observations.js'
import { serveBootstrap, serveDm, type ServeContext } from './serve.js'

const models = loadDefaultModels()

function context(): ServeContext {
  const tree = createObjectTree(models)
  writeSecurityInstance(tree, 0, { uri: 'coaps://bs', identity: 'bs', key: new Uint8Array([1]) }, true)
  writeSecurityInstance(tree, 1, { uri: 'coaps://srv', identity: 'srv', key: new Uint8Array([2]) }, false, 1)
  writeServerInstance(tree, 0, 1, 60)
  writeDeviceObject(tree, 'ep', '1')
  writeTemperatureObject(tree, 0, 20)
  const attributes = createAttributeStore()
  const observations = createObservations({ attributes, logger: silentLogger(), content: { response: () => ({ code: '2.05' }), compositeResponse: () => ({ code: '2.05' }), numeric: () => undefined } })
  return { tree, version: '1.1', attributes, observations, execute: () => '2.04' }
}

const segment = fc.oneof(fc.constantFrom('0', '1', '3', '3303', '5700', '5701', '11', '9', '65535', 'bs', 'x'), fc.nat(70000).map(String))
const request = fc.record({
  method: fc.constantFrom<CoapMethod>('GET', 'PUT', 'POST', 'DELETE', 'FETCH'),
  path: fc.array(segment, { maxLength: 5 }),
  query: fc.array(fc.constantFrom('pmin=1', 'pmax=2', 'gt=3', 'st=-1', 'pmin', 'x=1', 'lt=a'), { maxLength: 3 }),
  contentFormat: fc.option(fc.constantFrom(0, 40, 42, 60, 110, 112, 11542, 11543, 99), { nil: undefined }),
  accept: fc.option(fc.constantFrom(0, 40, 42, 60, 110, 112, 11542, 11543, 99), { nil: undefined }),
  observe: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 64 }),
})

describe('serving arbitrary requests', () => {
  it('answers every request with a CoAP code and never throws, on both interfaces', () => {
    fc.assert(
      fc.property(request, fc.boolean(), (r, bootstrap) => {
        const ctx = context()
        const req: CoapRequest = { ...r, options: [], confirmable: true }
        const parsed = parseLwM2mRequest(req, { models, bootstrap })
        const res = 'error' in parsed ? { code: parsed.error } : bootstrap ? serveBootstrap(ctx, parsed) : serveDm(ctx, parsed)
        const out = toCoapResponse(res, 'path' in parsed ? parsed.path : {}, models)
        expect(out.code).toMatch(/^[245]\.\d\d$/)
        // The Security object never leaks to a DM server.
        if (!bootstrap && req.path[0] === '0') expect(out.code.startsWith('2.')).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })
})
