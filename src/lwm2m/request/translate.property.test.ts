import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { payloadBytes, type CoapRequest, type CoapRequestInit } from '../../transport/coap/request.js'
import { instanceOf } from '../codec/arbitraries.js'
import { testModels } from '../codec/test-models.js'
import { ContentFormat as CF } from '../content-format.js'
import { WRITABLE_ATTRIBUTES } from '../attributes.js'
import { toPath } from '../path.js'
import { parseLwM2mRequest } from './device-side.js'
import { toCoapRequest } from './translate.js'
import type { LwM2mRequest } from './types.js'

/** Object 1024 of the test models: one single and one multiple resource of every type. */
const OBJECT_ID = 1024
const models = testModels()
const peer = { lwm2mVersion: '1.1' as const, contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] }

function received(init: CoapRequestInit, observe?: number): CoapRequest {
  return {
    method: init.method,
    path: init.path ?? [],
    query: init.query ?? [],
    contentFormat: init.contentFormat,
    accept: init.accept,
    observe,
    payload: payloadBytes(init.payload),
    options: [],
    confirmable: true,
  }
}

const id = fc.integer({ min: 0, max: 65534 })
const format = fc.constantFrom(CF.TLV, CF.SENML_JSON, CF.SENML_CBOR)
const instance = instanceOf().filter((n) => n.resources.size > 0)

/** Requests carrying a node: writes, creates and bootstrap writes of random 1024 instances. */
const withNode: fc.Arbitrary<LwM2mRequest> = fc.tuple(instance, format, fc.constantFrom('replace', 'update', 'create', 'bootstrapWrite')).map(([node, f, what]): LwM2mRequest => {
  const at = { objectId: OBJECT_ID, instanceId: node.id }
  if (what === 'create') return { kind: 'create', path: { objectId: OBJECT_ID }, node, format: f }
  if (what === 'bootstrapWrite') return { kind: 'bootstrapWrite', path: at, node, format: f }
  return { kind: 'write', mode: what, path: at, node, format: f }
})

/** Requests without a node, on random paths of the right level. */
const withoutNode: fc.Arbitrary<LwM2mRequest> = fc.oneof(
  fc.tuple(fc.array(id, { minLength: 1, maxLength: 4 }), format).map(([ids, f]): LwM2mRequest => ({ kind: 'read', path: toPath(ids), format: f })),
  fc.array(id, { minLength: 1, maxLength: 3 }).map((ids): LwM2mRequest => ({ kind: 'discover', path: toPath(ids) })),
  fc.tuple(id, id).map(([o, i]): LwM2mRequest => ({ kind: 'delete', path: toPath([o, i]) })),
  fc.tuple(id, id, id, fc.option(fc.string({ maxLength: 30 }).filter((s) => s !== ''), { nil: undefined })).map(([o, i, r, args]): LwM2mRequest =>
    args === undefined ? { kind: 'execute', path: toPath([o, i, r]) } : { kind: 'execute', path: toPath([o, i, r]), args }),
  fc.tuple(fc.array(id, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1000 }), fc.constantFrom(...WRITABLE_ATTRIBUTES.filter((a) => a === 'pmin' || a === 'epmin'))).map(
    ([ids, v, name]): LwM2mRequest => ({ kind: 'writeAttributes', path: toPath(ids), attributes: { [name]: v } }),
  ),
)

describe('translation both ways (property)', () => {
  it('a device reads back every node-carrying request the sender translated', () => {
    fc.assert(
      fc.property(withNode, (request) => {
        const { coap } = toCoapRequest(request, peer, models)
        const bootstrap = request.kind === 'bootstrapWrite'
        expect(parseLwM2mRequest(received(coap), { models, bootstrap })).toEqual(request)
      }),
      { numRuns: 150 },
    )
  })

  it('a device reads back every request without node the sender translated', () => {
    fc.assert(
      fc.property(withoutNode, (request) => {
        const { coap } = toCoapRequest(request, peer, models)
        expect(parseLwM2mRequest(received(coap), { models })).toEqual(request)
      }),
      { numRuns: 300 },
    )
  })
})
