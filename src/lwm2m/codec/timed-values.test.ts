import { describe, expect, it } from 'vitest'
import { ContentFormat } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import { parsePath } from '../path.js'
import { decodeTimedValues, encodeTimedNodes } from './timed-values.js'

const models = loadDefaultModels()
const temp = (value: number) => ({ kind: 'resource' as const, id: 5700, type: 'float' as const, value })

describe('timestamped SenML values (bt/t)', () => {
  for (const [name, format] of [
    ['JSON', ContentFormat.SENML_JSON],
    ['CBOR', ContentFormat.SENML_CBOR],
  ] as const) {
    it(`encodes each node's time as "t" and decodes it back in SenML ${name}`, () => {
      const payload = encodeTimedNodes(format, [
        { path: parsePath('/3303/0/5700'), node: temp(21.5), time: 1_700_000_000 },
        { path: parsePath('/3303/0/5700'), node: temp(22.25), time: 1_700_000_060.5 },
        { path: parsePath('/3/0/0'), node: { kind: 'resource', id: 0, type: 'string', value: 'Acme' } },
      ])
      expect(decodeTimedValues(format, payload, models, 0)).toEqual([
        { path: '/3303/0/5700', value: 21.5, time: 1_700_000_000 },
        { path: '/3303/0/5700', value: 22.25, time: 1_700_000_060.5 },
        { path: '/3/0/0', value: 'Acme' },
      ])
    })
  }

  it('writes "t" in SenML JSON as RFC 8428 names it', () => {
    const json = new TextDecoder().decode(encodeTimedNodes(ContentFormat.SENML_JSON, [{ path: parsePath('/3303/0/5700'), node: temp(21.5), time: 1_700_000_000 }]))
    expect(json).toBe('[{"bn":"/3303/0/5700","v":21.5,"t":1700000000}]')
  })

  it('refuses formats without names and times', () => {
    expect(() => decodeTimedValues(ContentFormat.TLV, new Uint8Array(), models)).toThrow(/SenML/)
    expect(() => encodeTimedNodes(ContentFormat.TLV, [])).toThrow(/SenML/)
  })
})
