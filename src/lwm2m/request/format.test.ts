import { describe, expect, it } from 'vitest'
import { ContentFormat as CF } from '../content-format.js'
import { chooseFormat } from './format.js'

describe('chooseFormat', () => {
  it('uses the explicit format when one is given', () => {
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [112] }, CF.TEXT)).toBe(CF.TEXT)
  })

  it('asks a 1.0 client for TLV', () => {
    expect(chooseFormat({ lwm2mVersion: '1.0' })).toBe(CF.TLV)
    expect(chooseFormat({ lwm2mVersion: '1.0', contentFormats: [CF.JSON, CF.TLV] })).toBe(CF.TLV)
  })

  it('asks a 1.1 client for SenML CBOR, then SenML JSON, then TLV, as it lists them', () => {
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [CF.TLV, CF.SENML_JSON, CF.SENML_CBOR] })).toBe(CF.SENML_CBOR)
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [CF.TLV, CF.SENML_JSON] })).toBe(CF.SENML_JSON)
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [CF.TLV] })).toBe(CF.TLV)
  })

  it('falls back to TLV when the client lists no formats or none a server reads with', () => {
    expect(chooseFormat({ lwm2mVersion: '1.1' })).toBe(CF.TLV)
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [] })).toBe(CF.TLV)
    expect(chooseFormat({ lwm2mVersion: '1.1', contentFormats: [CF.TEXT, CF.OPAQUE] })).toBe(CF.TLV)
    expect(chooseFormat({})).toBe(CF.TLV)
  })
})
