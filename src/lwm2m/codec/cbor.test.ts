import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decode as referenceDecode, encode as referenceEncode } from 'cbor2'
import { CborWriter, readCbor, type CborValue } from './cbor.js'
import { DEFAULT_LIMITS } from './limits.js'
import { CodecError } from '../errors.js'

// cbor2 (pure JavaScript) as the independent reference: plain CBOR in preferred serialization,
// Maps decoded as Maps.
const reference = {
  encode: (v: unknown): Uint8Array => referenceEncode(v),
  decode: (b: Uint8Array): unknown => referenceDecode(b, { preferMap: true }),
}

/** Our decoded form in plain JS: floats as numbers, safe bigints as numbers. */
function plain(v: CborValue): unknown {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, plain(x)]))
  if (Array.isArray(v)) return v.map(plain)
  if (v instanceof Uint8Array) return new Uint8Array(v)
  if (typeof v === 'object' && v !== null) return v.value
  return v
}

const safeBig = (b: bigint) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)
const { value: arbitraryValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    // The whole range of CBOR major types 0 and 1, -2^64 included.
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }).map(safeBig),
    fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x) || !Number.isSafeInteger(x)).filter((x) => !Object.is(x, -0)),
    fc.string({ unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -100, max: 100 }), fc.string()), tie('value')), { maxLength: 4 }).map((pairs) => new Map(pairs)),
  ),
}))

describe('readCbor', () => {
  it('reads what cbor2 writes, the same way', () => {
    fc.assert(
      fc.property(arbitraryValue, (value) => {
        expect(plain(readCbor(reference.encode(value), 'cbor', DEFAULT_LIMITS).value)).toEqual(value)
      }),
      { numRuns: 1000 },
    )
  })

  it('throws only CodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readCbor(bytes, 'cbor', DEFAULT_LIMITS)
        } catch (err) {
          if (!(err instanceof CodecError)) throw err
        }
      }),
      { numRuns: 5000 },
    )
  })
})

describe('CborWriter', () => {
  it('writes integers and strings that cbor2 reads back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }), fc.string({ unit: 'grapheme' }), fc.double(), (n, s, d) => {
        const bytes = new CborWriter().head(4, 3).int(safeBig(n) as number | bigint).text(s).float(d).finish()
        const [rn, rs, rd] = reference.decode(bytes) as [number | bigint, string, number]
        expect(BigInt(rn)).toBe(n)
        expect(rs).toBe(s)
        expect(Object.is(rd, d) || (Number.isNaN(rd) && Number.isNaN(d))).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})
