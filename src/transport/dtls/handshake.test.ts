import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DtlsError } from './errors.js'
import { HandshakeType, parseHandshakeFragments, serializeHandshake } from './handshake.js'
import { parseClientHello } from './hello.js'
import { Reassembler } from './reassembler.js'

function fragments(message: Buffer, size: number): Buffer[] {
  const body = message.subarray(12)
  const out: Buffer[] = []
  for (let off = 0; off < body.length; off += size) {
    const h = Buffer.from(message.subarray(0, 12))
    const part = body.subarray(off, off + size)
    h.writeUIntBE(off, 6, 3)
    h.writeUIntBE(part.length, 9, 3)
    out.push(Buffer.concat([h, part]))
  }
  return out
}

describe('handshake codec and reassembly', () => {
  const msg = serializeHandshake({ msgType: HandshakeType.clientKeyExchange, messageSeq: 2, body: Buffer.from('0008device-1') })

  it('writes the 12-byte DTLS header with offset 0 and fragment_length = length', () => {
    expect(msg.subarray(0, 12).toString('hex')).toBe('10' + '00000c' + '0002' + '000000' + '00000c')
  })

  it('parses several messages in one record', () => {
    const two = Buffer.concat([msg, serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 3, body: Buffer.alloc(12) })])
    expect(parseHandshakeFragments(two).map((f) => f.messageSeq)).toEqual([2, 3])
  })

  it('reassembles fragments in any order, with overlaps and duplicates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (size, order) => {
        const parts = fragments(msg, size).flatMap(parseHandshakeFragments)
        const r = new Reassembler(2)
        const sequence = [...order.map((i) => parts[i % parts.length]), ...parts]
        let out
        for (const p of sequence) {
          r.add(p)
          out ??= r.next()
        }
        expect(Buffer.from(out!.body)).toEqual(msg.subarray(12))
        expect(r.expected).toBe(3)
      }),
    )
  })

  it('holds a later message until the earlier one is complete', () => {
    const r = new Reassembler(2)
    const fin = serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 3, body: Buffer.alloc(12) })
    r.add(parseHandshakeFragments(fin)[0])
    expect(r.next()).toBeUndefined()
    r.add(parseHandshakeFragments(msg)[0])
    expect(r.next()?.messageSeq).toBe(2)
    expect(r.next()?.messageSeq).toBe(3)
    expect(r.add(parseHandshakeFragments(msg)[0])).toBe(false) // a retransmission
  })

  it('rejects fragments that contradict earlier ones or reach beyond the message', () => {
    const r = new Reassembler(2)
    const [a] = fragments(msg, 4).flatMap(parseHandshakeFragments)
    r.add(a)
    expect(() => r.add({ ...a, msgType: HandshakeType.finished })).toThrow(DtlsError)
    const bad = Buffer.from(msg)
    bad.writeUIntBE(5, 6, 3) // offset 5 + 12 bytes > 12
    expect(() => parseHandshakeFragments(bad)).toThrow(DtlsError)
  })

  it('throws only DtlsError on arbitrary handshake or ClientHello bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const parse of [parseHandshakeFragments, parseClientHello]) {
          try {
            parse(bytes)
          } catch (err) {
            expect(err).toBeInstanceOf(DtlsError)
          }
        }
      }),
      { numRuns: 5000 },
    )
  })
})

describe('ClientHello', () => {
  it('parses suites, cookie and extensions', () => {
    const body = Buffer.from(
      'fefd' + '11'.repeat(32) + '00' + '02abcd' + '0004c0a800ff' + '0100' + '0009' + '00170000' + 'ff01000100',
      'hex',
    )
    const h = parseClientHello(body)
    expect(h.cipherSuites).toEqual([0xc0a8, 0x00ff])
    expect(Buffer.from(h.cookie).toString('hex')).toBe('abcd')
    expect([...h.extensions.keys()]).toEqual([0x0017, 0xff01])
  })

  it('rejects duplicate extensions and trailing bytes', () => {
    const head = 'fefd' + '11'.repeat(32) + '00' + '00' + '0002c0a8' + '0100'
    expect(() => parseClientHello(Buffer.from(head + '0008' + '00170000' + '00170000', 'hex'))).toThrow(DtlsError)
    expect(() => parseClientHello(Buffer.from(head + '0000' + '00', 'hex'))).toThrow(DtlsError)
  })
})
