import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDdf } from './ddf.js'
import { InvalidModelError } from './errors.js'
const core = (name: string) => readFileSync(join(import.meta.dirname, '../../../fixtures/models', name), 'utf8')

function ddf(items: string, objectExtra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name>Test</Name>
    <ObjectID>42000</ObjectID>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>${objectExtra}
    <Resources>${items}</Resources>
  </Object>
</LWM2M>`
}

function item(id: string, type: string, ops = 'R', multiple = 'Single'): string {
  return `<Item ID="${id}"><Name>r${id}</Name><Operations>${ops}</Operations>
    <MultipleInstances>${multiple}</MultipleInstances><Mandatory>Mandatory</Mandatory>
    <Type>${type}</Type><RangeEnumeration></RangeEnumeration><Units></Units><Description>d</Description></Item>`
}

describe('parseDdf', () => {
  it('reads the Device object of the OMA registry', () => {
    const [device] = parseDdf(core('3.xml'))
    expect(device).toMatchObject({ id: 3, name: 'Device', version: '1.2', lwm2mVersion: '1.1', multiple: false, mandatory: true })
    expect(device.urn).toBe('urn:oma:lwm2m:oma:3:1.2')
    expect(device.resources.get(0)).toMatchObject({ name: 'Manufacturer', type: 'string', operations: 'R', multiple: false })
    expect(device.resources.get(4)).toMatchObject({ name: 'Reboot', type: 'none', operations: 'E', mandatory: true })
    expect(device.resources.get(6)).toMatchObject({ type: 'integer', multiple: true, rangeEnumeration: '0..7' })
    expect(device.resources.get(9)).toMatchObject({ units: '/100' })
    expect(device.resources.get(13)).toMatchObject({ type: 'time', operations: 'RW' })
    expect(device.resources.get(22)).toMatchObject({ type: 'objlnk', multiple: true })
    expect(device.resources.size).toBe(23)
  })

  it('reads unsigned integers, empty operations and CRLF files (Security object)', () => {
    const [security] = parseDdf(core('0.xml'))
    expect(security).toMatchObject({ id: 0, name: 'LWM2M Security', multiple: true })
    expect(security.resources.get(0)).toMatchObject({ type: 'string', operations: 'NONE' })
    expect(security.resources.get(5)).toMatchObject({ name: 'Secret Key', type: 'opaque' })
    expect(security.resources.get(13)).toMatchObject({ type: 'unsigned' })
    expect(security.description).not.toContain('\r')
  })

  it('reads every shipped core model', () => {
    for (const [file, id, name] of [
      ['1.xml', 1, 'LwM2M Server'],
      ['2.xml', 2, 'LwM2M Access Control'],
      ['4.xml', 4, 'Connectivity Monitoring'],
      ['5.xml', 5, 'Firmware Update'],
      ['3303.xml', 3303, 'Temperature'],
    ] as const) {
      const [model] = parseDdf(core(file))
      expect(model).toMatchObject({ id, name })
    }
    const [temp] = parseDdf(core('3303.xml'))
    expect(temp.resources.get(5700)).toMatchObject({ type: 'float', mandatory: true })
    expect(temp.version).toBe('1.0')
  })

  it('maps every DDF type name', () => {
    const types = ['String', 'Integer', 'Unsigned Integer', 'Float', 'Boolean', 'Opaque', 'Time', 'Objlnk', 'Corelnk', '']
    const [m] = parseDdf(ddf(types.map((t, i) => item(String(i), t)).join('')))
    expect([...m.resources.values()].map((r) => r.type)).toEqual([
      'string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none',
    ])
  })

  it('defaults the object version to 1.0', () => {
    const [m] = parseDdf(ddf(item('0', 'String')))
    expect(m.version).toBe('1.0')
    expect(m.lwm2mVersion).toBeUndefined()
  })

  it('reads several objects from one document', () => {
    const two = ddf(item('0', 'String')).replace(
      '</LWM2M>',
      '<Object><Name>B</Name><ObjectID>42001</ObjectID><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Resources/></Object></LWM2M>',
    )
    expect(parseDdf(two).map((m) => m.id)).toEqual([42000, 42001])
  })

  it.each([
    ['malformed XML', '<LWM2M><Object></LWM2M>'],
    ['not XML at all', 'hello'],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><LWM2M/>'],
    ['no LWM2M root', '<Other/>'],
    ['no object', '<LWM2M></LWM2M>'],
    ['an unknown type', ddf(item('0', 'Double'))],
    ['an unknown operation', ddf(item('0', 'String', 'RWX'))],
    ['a bad multiplicity', ddf(item('0', 'String', 'R', 'Many'))],
    ['a bad resource id', ddf(item('x', 'String'))],
    ['a reserved resource id', ddf(item('65535', 'String'))],
    ['a duplicate resource', ddf(item('1', 'String') + item('1', 'Integer'))],
    ['a missing object id', ddf('').replace('<ObjectID>42000</ObjectID>', '')],
    ['a repeated element', ddf('').replace('<Name>Test</Name>', '<Name>A</Name><Name>B</Name>')],
  ])('rejects %s with a typed error', (_what, xml) => {
    expect(() => parseDdf(xml, 'test.xml')).toThrow(InvalidModelError)
    try {
      parseDdf(xml, 'test.xml')
    } catch (err) {
      expect((err as InvalidModelError).code).toBe('LWC_INVALID_MODEL')
      expect((err as InvalidModelError).message).toContain('test.xml')
    }
  })
})
