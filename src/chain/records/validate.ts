import { LwchainError } from '../../errors/base.js'

/** A value the user gave that cannot go on chain (empty, too long, not UTF-8, bad hex...). */
export class InvalidInputError extends LwchainError {
  override name = 'InvalidInputError'
  constructor(message: string) {
    super(message, { code: 'LWC_INVALID_INPUT' })
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Longest endpoint name, PSK identity or URI we accept, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 255

/**
 * Checks a text field: non-empty, valid Unicode (argv decoding turns bad UTF-8 into U+FFFD, which
 * we refuse rather than store a mangled name), no control characters, at most `maxBytes` bytes.
 */
export function validateText(value: unknown, field: string, maxBytes = MAX_TEXT_BYTES): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(`${field} must not be empty`)
  if (value.includes('\uFFFD') || LONE_SURROGATE.test(value)) throw new InvalidInputError(`${field} is not valid UTF-8`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidInputError(`${field} must not contain control characters`)
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > maxBytes) throw new InvalidInputError(`${field} is too long (${bytes} bytes, at most ${maxBytes})`)
  return value
}

/** Checks a CoAP URI (coap:// or coaps://) with a host. */
export function validateCoapUri(value: unknown, field: string): string {
  const text = validateText(value, field)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidInputError(`${field} is not a URI: ${JSON.stringify(text)}`)
  }
  if (!['coap:', 'coaps:', 'coap+tcp:', 'coaps+tcp:'].includes(url.protocol) || !url.hostname) {
    throw new InvalidInputError(`${field} must be a coap:// or coaps:// URI with a host`)
  }
  return text
}

/** Parses a PSK given as hex (optional 0x), 1 to 64 bytes. */
export function parseHexKey(value: unknown, field: string): Uint8Array {
  const text = typeof value === 'string' ? value.trim().replace(/^0x/i, '') : ''
  if (!text) throw new InvalidInputError(`${field} must not be empty`)
  if (!/^[0-9a-fA-F]+$/.test(text) || text.length % 2 !== 0) {
    throw new InvalidInputError(`${field} is not valid hex (an even number of 0-9a-f digits)`)
  }
  if (text.length > 128) throw new InvalidInputError(`${field} is too long (at most 64 bytes)`)
  return Uint8Array.from(Buffer.from(text, 'hex'))
}
