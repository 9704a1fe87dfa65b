import type { PeerAddress } from '../transport/types.js'
import { DeviceError } from './errors.js'

/** Where a server URI points and whether it needs DTLS. */
export interface ServerUri {
  readonly secure: boolean
  readonly peer: PeerAddress
}

/** Parses `coaps://host:port` (default 5684) or `coap://host:port` (5683); localhost → 127.0.0.1. */
export function parseServerUri(uri: string): ServerUri {
  const m = /^(coaps?):\/\/(\[[0-9a-fA-F:.]+\]|[^:/?#[\]]+)(?::(\d{1,5}))?\/?$/.exec(uri.trim())
  if (!m) throw new DeviceError('LWC_DEVICE_URI', `"${uri}" is not a coap:// or coaps:// server URI`)
  const secure = m[1] === 'coaps'
  let host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2]
  // Inbound datagrams carry the numeric address: the peer must be numeric to match them.
  if (host === 'localhost') host = '127.0.0.1'
  const port = m[3] === undefined ? (secure ? 5684 : 5683) : Number(m[3])
  if (port < 1 || port > 65535) throw new DeviceError('LWC_DEVICE_URI', `"${uri}" has an invalid port`)
  return { secure, peer: { address: host, port } }
}
