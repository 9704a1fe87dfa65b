import { CodecError } from '../errors.js'
import { ContentFormat } from '../content-format.js'
import { formatPath } from '../path.js'
import type { NodeCodec } from './types.js'
import { singleValueNode, singleValueOf, singleValueType } from './single-value.js'

/**
 * Opaque (42, application/octet-stream): the raw bytes of one opaque resource, e.g. a firmware
 * package written to /5/0/0. Only opaque resources (or resources without a model) qualify.
 */

/** Largest opaque payload accepted (a firmware image arrives block-wise, then whole). */
export const MAX_OPAQUE_BYTES = 16 * 1024 * 1024

/** The opaque codec. */
export const opaqueCodec: NodeCodec = {
  format: ContentFormat.OPAQUE,
  name: 'opaque',
  decode(payload, path, models) {
    if (payload.length > MAX_OPAQUE_BYTES) {
      throw new CodecError('opaque', `payload of ${payload.length} bytes exceeds the ${MAX_OPAQUE_BYTES}-byte limit`)
    }
    const type = singleValueType('opaque', path, models, 'opaque')
    if (type !== 'opaque') throw new CodecError('opaque', `${formatPath(path)} is a ${type} resource, not opaque`)
    return singleValueNode(path, 'opaque', new Uint8Array(payload))
  },
  encode(node, path) {
    const { type, value } = singleValueOf('opaque', node, path)
    if (type !== 'opaque' || !(value instanceof Uint8Array)) {
      throw new CodecError('opaque', `${formatPath(path)} is a ${type} resource, not opaque`)
    }
    return new Uint8Array(value)
  },
}
