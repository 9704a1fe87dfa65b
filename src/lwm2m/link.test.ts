import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError } from './errors.js'
import {
  InvalidAttributesError,
  formatAttributes,
  formatDiscoverLinks,
  formatLinks,
  formatRegistrationLinks,
  parseAttributes,
  parseDiscoverLinks,
  parseLinks,
  parseRegistrationLinks,
  type DiscoverEntry,
  type Link,
} from './link.js'

describe('link format', () => {
  it('parses targets, quoted and token values, numbers and flags', () => {
    expect(parseLinks('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;obs')).toEqual([
      { target: '/', attributes: { rt: 'oma.lwm2m', ct: 110 } },
      { target: '/1/0', attributes: {} },
      { target: '/3/0', attributes: { obs: true } },
    ])
  })

  it('reads LwM2M numeric attributes as numbers and keeps others as text', () => {
    const [link] = parseLinks('</3303/0/5700>;pmin=10;pmax=60;gt=40.5;lt=-3;st=0.5;dim=2;ver=1.1;title="a \\"b\\""')
    expect(link.attributes).toEqual({ pmin: 10, pmax: 60, gt: 40.5, lt: -3, st: 0.5, dim: 2, ver: '1.1', title: 'a "b"' })
  })

  it('tolerates whitespace between links and reads an empty payload as no links', () => {
    expect(parseLinks('</1/0>,\n  </3/0>')).toHaveLength(2)
    expect(parseLinks('')).toEqual([])
  })

  it('writes links the way RFC 6690 shows them', () => {
    const links: Link[] = [
      { target: '/', attributes: { rt: 'oma.lwm2m', ct: '60 110 112 11542' } },
      { target: '/1', attributes: { ver: '1.1' } },
      { target: '/3/0/7', attributes: { dim: 2, obs: true } },
    ]
    expect(formatLinks(links)).toBe('</>;rt="oma.lwm2m";ct="60 110 112 11542",</1>;ver=1.1,</3/0/7>;dim=2;obs')
    expect(parseLinks(formatLinks(links))).toEqual(links)
  })

  it.each([
    ['a missing "<"', '/1/0>', 0],
    ['an unterminated target', '</1/0', 0],
    ['a space in a target', '</1 0>', 1],
    ['an unterminated quoted value', '</1>;rt="x', 8],
    ['a missing value', '</1>;ct=', 8],
    ['a non-numeric pmin', '</1>;pmin=soon', 5],
    ['a non-numeric gt', '</1>;gt=1e999', 5],
    ['garbage after a link', '</1>x', 4],
    ['a trailing comma', '</1>,', 5],
    ['a duplicate parameter', '</1>;ct=1;ct=2', 10],
    ['an empty parameter name', '</1>;=1', 5],
  ])('rejects %s with its offset', (_what, text, offset) => {
    try {
      parseLinks(text)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError)
      expect((err as CodecError).offset).toBe(offset)
    }
  })

  it('enforces its limits', () => {
    expect(() => parseLinks('</1>,'.repeat(10) + '</1>', { maxChars: 1000, maxLinks: 5, maxAttributes: 4 })).toThrow(/more than 5 links/)
    expect(() => parseLinks('</1>;a;b;c;d;e', { maxChars: 1000, maxLinks: 5, maxAttributes: 4 })).toThrow(/parameters/)
    expect(() => parseLinks('x'.repeat(70_000))).toThrow(/longer/)
  })

  it('keeps a parameter named __proto__ as a plain key', () => {
    const [link] = parseLinks('</1>;__proto__=x')
    expect(Object.getPrototypeOf(link.attributes)).toBe(Object.prototype)
    expect(Object.keys(link.attributes)).toEqual(['__proto__'])
  })

  it('refuses to write what it could not read back', () => {
    expect(() => formatLinks([{ target: '/a>b', attributes: {} }])).toThrow(CodecError)
    expect(() => formatLinks([{ target: '/1', attributes: { 'a b': 1 } }])).toThrow(CodecError)
    expect(() => formatLinks([{ target: '/1', attributes: { gt: NaN } }])).toThrow(CodecError)
    expect(() => formatLinks([{ target: '/1', attributes: { title: 'a\nb' } }])).toThrow(CodecError)
  })

  it('round-trips any links it writes', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter((n) => !['ct', 'pmin', 'pmax', 'dim', 'ssid', 'epmin', 'epmax', 'gt', 'lt', 'st'].includes(n))
    const value = fc.oneof(fc.constant(true as const), fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).filter((s) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(s)))
    const link = fc.record({
      target: fc.stringMatching(/^(\/\d{1,5}){0,4}$/),
      attributes: fc.dictionary(name, value, { maxKeys: 4 }),
    })
    const numeric = fc.record({ pmin: fc.nat(), gt: fc.double({ noNaN: true, noDefaultInfinity: true }) })
    fc.assert(
      fc.property(fc.array(link, { minLength: 1, maxLength: 5 }), numeric, (links, nums) => {
        const all = [...links, { target: '/3/0', attributes: nums }]
        expect(parseLinks(formatLinks(all))).toEqual(all)
      }),
      { numRuns: 500 },
    )
  })

  it('never fails other than with a CodecError on random text', () => {
    const alphabet = fc.constantFrom(...'</>;,="\\ 0123ab.-\n'.split(''))
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), (text) => {
        try {
          const links = parseLinks(text)
          expect(parseLinks(formatLinks(links))).toEqual(links)
        } catch (err) {
          if (!(err instanceof CodecError)) throw err
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('registration payloads', () => {
  it('reads a root entry with one content format', () => {
    expect(parseRegistrationLinks('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>')).toEqual({
      rootPath: '/',
      contentFormats: [110],
      objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }],
    })
  })

  it('reads object versions and no root entry', () => {
    expect(parseRegistrationLinks('</1>;ver=1.1,</3/0>')).toEqual({
      rootPath: '/',
      objects: [{ objectId: 1, version: '1.1' }, { objectId: 3, instanceId: 0 }],
    })
  })

  it('reads a quoted list of content formats', () => {
    const reg = parseRegistrationLinks('</>;rt="oma.lwm2m";ct="60 110 112 11542",</3/0>')
    expect(reg.contentFormats).toEqual([60, 110, 112, 11542])
  })

  it('reads an alternate root path and strips it from the objects', () => {
    expect(parseRegistrationLinks('</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3303/1>')).toEqual({
      rootPath: '/lwm2m',
      objects: [{ objectId: 1, instanceId: 0 }, { objectId: 3303, instanceId: 1 }],
    })
  })

  it('reads a bare root entry that only announces content formats', () => {
    expect(parseRegistrationLinks('</>;ct=11542,</3/0>').contentFormats).toEqual([11542])
  })

  it('reads what libcoap clients send (a single object instance)', () => {
    expect(parseRegistrationLinks('</3/0>').objects).toEqual([{ objectId: 3, instanceId: 0 }])
  })

  it.each([
    ['a resource path', '</3/0/1>'],
    ['a path outside the root', '</lwm2m>;rt="oma.lwm2m",</3/0>'],
    ['an id out of range', '</65535/0>'],
    ['a non-numeric object', '</dev/0>'],
    ['a bad version', '</1>;ver=one'],
    ['a bad content format list', '</>;rt="oma.lwm2m";ct="110 json"'],
    ['a content format out of range', '</>;rt="oma.lwm2m";ct=70000'],
    ['two root entries', '</>;rt="oma.lwm2m",</a>;rt="oma.lwm2m"'],
  ])('rejects %s', (_what, text) => {
    expect(() => parseRegistrationLinks(text)).toThrow(CodecError)
  })

  it('writes a payload it reads back', () => {
    const reg = {
      rootPath: '/',
      contentFormats: [110, 11542],
      objects: [{ objectId: 1, version: '1.1' }, { objectId: 1, instanceId: 0 }, { objectId: 3, instanceId: 0 }],
    }
    const text = formatRegistrationLinks(reg)
    expect(text).toBe('</>;rt="oma.lwm2m";ct="110 11542",</1>;ver=1.1,</1/0>,</3/0>')
    expect(parseRegistrationLinks(text)).toEqual(reg)
    expect(formatRegistrationLinks({ objects: [{ objectId: 3, instanceId: 0 }] })).toBe('</3/0>')
  })
})

describe('discover responses', () => {
  it('writes and reads a Discover of the Device object with attributes', () => {
    const entries: DiscoverEntry[] = [
      { path: { objectId: 3 }, attributes: { pmin: 10, pmax: 60 } },
      { path: { objectId: 3, instanceId: 0 }, attributes: {} },
      { path: { objectId: 3, instanceId: 0, resourceId: 1 }, attributes: {} },
      { path: { objectId: 3, instanceId: 0, resourceId: 6 }, attributes: { dim: 2 } },
      { path: { objectId: 3, instanceId: 0, resourceId: 9 }, attributes: { gt: 50, lt: 20.5 } },
    ]
    const text = formatDiscoverLinks(entries)
    expect(text).toBe('</3>;pmin=10;pmax=60,</3/0>,</3/0/1>,</3/0/6>;dim=2,</3/0/9>;gt=50;lt=20.5')
    expect(parseDiscoverLinks(text)).toEqual(entries)
  })

  it('reads a Bootstrap-Discover response', () => {
    const entries = parseDiscoverLinks('</>;lwm2m=1.1,</0/0>;ssid=101;uri="coaps://server:5684",</1/0>;ssid=101,</3/0>')
    expect(entries[0]).toEqual({ path: {}, attributes: { lwm2m: '1.1' } })
    expect(entries[1]).toEqual({ path: { objectId: 0, instanceId: 0 }, attributes: { ssid: 101, uri: 'coaps://server:5684' } })
  })

  it('rejects a target that is not an LwM2M path', () => {
    expect(() => parseDiscoverLinks('</rd/abc>')).toThrow(CodecError)
  })
})

describe('Write-Attributes queries', () => {
  it('reads a query as parts or as one string', () => {
    expect(parseAttributes(['pmin=10', 'pmax=60', 'gt=40'])).toEqual({ pmin: 10, pmax: 60, gt: 40 })
    expect(parseAttributes('pmin=10&pmax=60&gt=40')).toEqual({ pmin: 10, pmax: 60, gt: 40 })
    expect(parseAttributes('?lt=-5.5&st=1&epmin=1&epmax=30')).toEqual({ lt: -5.5, st: 1, epmin: 1, epmax: 30 })
    expect(parseAttributes('')).toEqual({})
  })

  it('reads a name without a value as removing the attribute', () => {
    expect(parseAttributes(['pmin', 'gt=3'])).toEqual({ pmin: null, gt: 3 })
  })

  it('writes a query it reads back', () => {
    const attrs = { pmax: 60, pmin: 10, gt: 40, lt: null }
    expect(formatAttributes(attrs)).toEqual(['pmin=10', 'pmax=60', 'gt=40', 'lt'])
    expect(parseAttributes(formatAttributes(attrs))).toEqual(attrs)
  })

  it.each([
    ['an unknown attribute', 'foo=1'],
    ['a read-only attribute', 'dim=2'],
    ['a fractional pmin', 'pmin=1.5'],
    ['a negative pmax', 'pmax=-1'],
    ['a non-numeric gt', 'gt=hot'],
    ['an empty value', 'pmin='],
    ['a negative step', 'st=-1'],
    ['a duplicate', 'pmin=1&pmin=2'],
    ['pmax below pmin', 'pmin=60&pmax=10'],
    ['lt not below gt', 'lt=50&gt=40'],
    ['a step that closes the band', 'lt=10&gt=20&st=5'],
    ['epmax not above epmin', 'epmin=5&epmax=5'],
    ['too many parts', Array(17).fill('pmin=1').join('&')],
  ])('rejects %s', (_what, query) => {
    expect(() => parseAttributes(query)).toThrow(InvalidAttributesError)
  })
})
