/** A UDP relay on loopback that drops chosen datagrams, to make DTLS peers retransmit. */
import dgram from 'node:dgram'
import type { PeerAddress } from '../../src/transport/types.js'

export interface LossyRelay {
  /** Where the client sends to. */
  readonly address: PeerAddress
  /** Datagrams seen so far in each direction, dropped ones included. */
  readonly fromClient: Buffer[]
  readonly fromServer: Buffer[]
  close(): Promise<void>
}

/**
 * Relays between one client (the first address that writes to it) and `server`; a datagram for
 * which `drop` returns true is counted but not forwarded.
 */
export async function lossyRelay(
  server: PeerAddress,
  drop: { fromClient?: (d: Buffer) => boolean; fromServer?: (d: Buffer) => boolean },
): Promise<LossyRelay> {
  const sock = dgram.createSocket('udp4')
  const fromClient: Buffer[] = []
  const fromServer: Buffer[] = []
  let client: PeerAddress | undefined
  sock.on('message', (msg, rinfo) => {
    if (rinfo.port === server.port && rinfo.address === server.address) {
      fromServer.push(msg)
      if (client && !drop.fromServer?.(msg)) sock.send(msg, client.port, client.address)
    } else {
      client = { address: rinfo.address, port: rinfo.port }
      fromClient.push(msg)
      if (!drop.fromClient?.(msg)) sock.send(msg, server.port, server.address)
    }
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  return {
    address: { address: '127.0.0.1', port: sock.address().port },
    fromClient,
    fromServer,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  }
}

/** A predicate true for the first `times` datagrams that `match` accepts. */
export function dropFirst(match: (d: Buffer) => boolean, times = 1): (d: Buffer) => boolean {
  let dropped = 0
  return (d) => (match(d) && dropped < times ? (dropped++, true) : false)
}
