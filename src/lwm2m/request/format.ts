/** Which content format to ask a device for, or to write to it with. */
import { ContentFormat } from '../content-format.js'
import { preferredFormat, type LwM2mVersion } from '../codec/index.js'

/** What the format choice knows about the peer. */
export interface FormatPeer {
  readonly lwm2mVersion?: LwM2mVersion
  /** Content formats the client listed at registration (`ct=`), when it did. */
  readonly contentFormats?: readonly number[]
}

/**
 * The format for a request: an explicit one wins; else the best of the version's preferences the
 * client listed (1.1: SenML CBOR, SenML JSON, TLV); else TLV, which 1.0 requires and most 1.1
 * clients speak. Text and opaque are only used when asked for explicitly.
 */
export function chooseFormat(peer: FormatPeer, explicit?: number): number {
  if (explicit !== undefined) return explicit
  const listed = peer.contentFormats
  if (peer.lwm2mVersion === undefined || peer.lwm2mVersion === '1.0' || !listed || listed.length === 0) return ContentFormat.TLV
  const best = preferredFormat(peer.lwm2mVersion, listed)
  return listed.includes(best) ? best : ContentFormat.TLV
}
