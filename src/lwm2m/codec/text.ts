import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import type { NodeCodec } from './types.js'
import { textToValue, valueToText } from './values.js'
import { singleValueNode, singleValueOf, singleValueType } from './single-value.js'

/**
 * Plain text (0, LwM2M TS Core §7.3): one resource value as UTF-8 text: integers in decimal,
 * floats as decimal numbers, booleans "0"/"1", time as seconds since 1970, object links "3:0",
 * opaque as base64 (LwM2M 1.1). A resource without a model reads as a string.
 */

/** Largest plain-text payload accepted. */
export const MAX_TEXT_BYTES = 1024 * 1024

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The plain-text codec. */
export const textCodec: NodeCodec = {
  format: ContentFormat.TEXT,
  name: 'text',
  decode(payload, path, models) {
    if (payload.length > MAX_TEXT_BYTES) {
      throw new CodecError('text', `payload of ${payload.length} bytes exceeds the ${MAX_TEXT_BYTES}-byte limit`)
    }
    const type = singleValueType('text', path, models, 'string')
    let text: string
    try {
      text = utf8.decode(payload)
    } catch {
      throw new CodecError('text', 'payload is not valid UTF-8', 0)
    }
    return singleValueNode(path, type, textToValue(type, text, 'text', 0))
  },
  encode(node, path) {
    const { type, value } = singleValueOf('text', node, path)
    return new TextEncoder().encode(valueToText(type, value, 'text'))
  },
}
