import { LwchainError } from '../errors/base.js'

/** A path string that is not /o, /o/i, /o/i/r or /o/i/r/ri with ids in range. */
export class InvalidPathError extends LwchainError {
  override name = 'InvalidPathError'
  constructor(path: string, reason: string) {
    super(`invalid LwM2M path "${path}": ${reason}`, { code: 'LWC_INVALID_PATH' })
  }
}

/** Malformed or unsupported content: the one exception type of every codec (as Leshan's). */
export class CodecError extends LwchainError {
  override name = 'CodecError'
  /** Content format the codec was handling. */
  readonly format: string
  /** Byte (or character) offset of the offending input, when known. */
  readonly offset?: number
  constructor(format: string, reason: string, offset?: number) {
    super(`cannot decode/encode ${format}: ${reason}${offset === undefined ? '' : ` at offset ${offset}`}`, {
      code: 'LWC_CODEC',
    })
    this.format = format
    this.offset = offset
  }
}
