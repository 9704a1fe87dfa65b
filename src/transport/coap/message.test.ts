import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CoapFormatError } from './errors.js'
import { codeToByte, codeToString, decodeMessage, encodeMessage, peekHeader, type CoapMessage } from './message.js'
import { decodeBlock, encodeBlock, encodeUint, decodeUint, firstUnknownCritical } from './options.js'

const bytes = (...b: number[]) => Uint8Array.from(b)

function msg(partial: Partial<CoapMessage>): CoapMessage {
  return { type: 'CON', code: '0.01', messageId: 0x1234, token: bytes(1, 2), options: [], payload: new Uint8Array(0), ...partial }
}

describe('CoAP message codec', () => {
  it('encodes a GET with Uri-Path and Uri-Query like RFC 7252 describes', () => {
    const m = msg({ options: [{ number: 11, value: new TextEncoder().encode('rd') }, { number: 15, value: new TextEncoder().encode('ep=x') }] })
    const out = encodeMessage(m)
    expect([...out.subarray(0, 6)]).toEqual([0x42, 0x01, 0x12, 0x34, 1, 2])
    expect(out[6]).toBe(0xb2) // delta 11, length 2
    expect(out[9]).toBe(0x44) // delta 4, length 4
    expect(decodeMessage(out)).toEqual(m)
  })

  it('round-trips option deltas above 13 and above 269 and long values', () => {
    const m = msg({
      options: [
        { number: 1, value: bytes() },
        { number: 60, value: encodeUint(1000) },
        { number: 2048, value: new Uint8Array(300).fill(7) },
        { number: 2048, value: bytes(9) },
        { number: 65535, value: new Uint8Array(14) },
      ],
      payload: bytes(1, 2, 3),
    })
    expect(decodeMessage(encodeMessage(m))).toEqual(m)
  })

  it('sorts options by number but keeps repeated options in order', () => {
    const m = msg({ options: [{ number: 15, value: bytes(1) }, { number: 11, value: bytes(2) }, { number: 11, value: bytes(3) }] })
    expect(decodeMessage(encodeMessage(m)).options.map((o) => o.value[0])).toEqual([2, 3, 1])
  })

  it('decodes an empty ACK', () => {
    expect(decodeMessage(bytes(0x60, 0, 0, 7))).toMatchObject({ type: 'ACK', code: '0.00', messageId: 7 })
  })

  it.each([
    ['a short header', bytes(0x40, 1, 0)],
    ['version 2', bytes(0x80, 1, 0, 0)],
    ['token length 9', bytes(0x49, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)],
    ['a truncated token', bytes(0x44, 1, 0, 0, 1)],
    ['an empty message with a token', bytes(0x41, 0, 0, 0, 1)],
    ['a payload marker without payload', bytes(0x40, 1, 0, 0, 0xff)],
    ['option delta nibble 15', bytes(0x40, 1, 0, 0, 0xf1, 0)],
    ['option length nibble 15', bytes(0x40, 1, 0, 0, 0x1f)],
    ['a truncated option value', bytes(0x40, 1, 0, 0, 0x13, 1)],
    ['a truncated extended delta', bytes(0x40, 1, 0, 0, 0xe0, 1)],
    ['option number above 65535', bytes(0x40, 1, 0, 0, 0xe0, 0xff, 0xff, 0xe0, 0x00, 0x10)],
  ])('rejects %s with CoapFormatError', (_name, data) => {
    expect(() => decodeMessage(data)).toThrow(CoapFormatError)
  })

  it('peeks type and message id of an undecodable CON', () => {
    expect(peekHeader(bytes(0x40, 1, 0xab, 0xcd, 0xff))).toEqual({ type: 'CON', messageId: 0xabcd })
    expect(peekHeader(bytes(0x40))).toBeUndefined()
  })

  it('converts codes between byte and c.dd', () => {
    expect(codeToString(0x45)).toBe('2.05')
    expect(codeToByte('4.04')).toBe(0x84)
    expect(() => codeToByte('2.5')).toThrow(CoapFormatError)
  })

  it('round-trips any well-formed message (property)', () => {
    const option = fc.record({ number: fc.integer({ min: 0, max: 65535 }), value: fc.uint8Array({ maxLength: 300 }) })
    const arb = fc.record({
      type: fc.constantFrom('CON', 'NON', 'ACK', 'RST' as const),
      code: fc.integer({ min: 1, max: 255 }).map(codeToString),
      messageId: fc.integer({ min: 0, max: 0xffff }),
      token: fc.uint8Array({ maxLength: 8 }),
      options: fc.array(option, { maxLength: 6 }).map((os) => [...os].sort((a, b) => a.number - b.number)),
      payload: fc.uint8Array({ maxLength: 64 }),
    })
    fc.assert(
      fc.property(arb, (m) => {
        expect(decodeMessage(encodeMessage(m as CoapMessage))).toEqual(m)
      }),
    )
  })

  it('never throws anything but CoapFormatError on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (head, rest) => {
        // Half the cases get a valid version so the option parser is exercised too.
        const data = Uint8Array.from([...head, ...rest])
        if (data.length > 0 && rest.length % 2 === 0) data[0] = 0x40 | (data[0] & 0x3f)
        try {
          decodeMessage(data)
        } catch (err) {
          expect(err).toBeInstanceOf(CoapFormatError)
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('CoAP option values', () => {
  it('encodes integers minimally', () => {
    expect([...encodeUint(0)]).toEqual([])
    expect([...encodeUint(255)]).toEqual([255])
    expect([...encodeUint(256)]).toEqual([1, 0])
    expect(decodeUint(encodeUint(0xffffffff))).toBe(0xffffffff)
  })

  it('round-trips block values and rejects szx 7', () => {
    for (const b of [{ num: 0, more: true, szx: 6 }, { num: 1000, more: false, szx: 2 }, { num: 0xfffff, more: true, szx: 0 }]) {
      expect(decodeBlock(encodeBlock(b))).toEqual(b)
    }
    expect(() => decodeBlock(bytes(0x0f))).toThrow(CoapFormatError)
  })

  it('finds unknown critical options and ignores unknown elective ones', () => {
    expect(firstUnknownCritical([{ number: 7, value: bytes() }, { number: 2050, value: bytes() }])).toBeUndefined()
    expect(firstUnknownCritical([{ number: 2049, value: bytes() }])).toBe(2049)
  })
})
