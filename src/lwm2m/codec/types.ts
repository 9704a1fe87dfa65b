import type { LwM2mPath } from '../path.js'
import type { LwM2mNode } from '../node.js'
import type { ModelRegistry } from '../model.js'

/**
 * One codec per content format, all behind this interface (as Leshan's node codecs). Decoders
 * throw CodecError on malformed input and never invent a value.
 *
 * `path` is the request path the payload belongs to: it gives the level of the node (a TLV read of
 * /3/0 decodes to an instance node) and, for formats that carry relative names, the base.
 */
export interface NodeCodec {
  /** Content-Format number (ContentFormat.*). */
  readonly format: number
  /** Human name used in errors and the CLI, e.g. "tlv". */
  readonly name: string
  decode(payload: Uint8Array, path: LwM2mPath, models: ModelRegistry): LwM2mNode
  encode(node: LwM2mNode, path: LwM2mPath, models: ModelRegistry): Uint8Array
}
