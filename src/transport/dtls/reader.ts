import { decodeError } from './errors.js'

/** A bounds-checked big-endian reader: every read past the end throws LWC_DTLS_DECODE. */
export class Reader {
  private pos = 0
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos
  }

  u8(): number {
    this.need(1)
    return this.buf[this.pos++]
  }

  u16(): number {
    this.need(2)
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1]
    this.pos += 2
    return v
  }

  u24(): number {
    this.need(3)
    const v = (this.buf[this.pos] << 16) | (this.buf[this.pos + 1] << 8) | this.buf[this.pos + 2]
    this.pos += 3
    return v
  }

  u48(): number {
    const hi = this.u16()
    const lo = this.u16() * 0x10000 + this.u16()
    return hi * 0x1_0000_0000 + lo
  }

  bytes(n: number): Uint8Array {
    this.need(n)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  /** A vector with an 8/16/24-bit length prefix. */
  vec8(): Uint8Array {
    return this.bytes(this.u8())
  }

  vec16(): Uint8Array {
    return this.bytes(this.u16())
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining)
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw decodeError('truncated')
  }
}

/** Writes a 48-bit unsigned integer big-endian into `out` at `offset`. */
export function writeU48(out: Buffer, value: number, offset: number): void {
  out.writeUInt16BE(Math.floor(value / 0x1_0000_0000), offset)
  out.writeUInt32BE(value % 0x1_0000_0000, offset + 2)
}
