/** Builders shared by the DTLS integration tests. */
import pino from 'pino'
import { createDtlsTransport, type DtlsTransport, type DtlsTransportOptions } from '../../src/transport/dtls/index.js'
import type { InboundDatagram, PeerAddress, SessionEndReason } from '../../src/transport/types.js'

export const IDENTITY = 'device-1'
/** Printable so that libcoap's `-k` (plain ASCII in 4.3) can use it too. */
export const KEY = Buffer.from('s3cret-psk-0123456789')

/** A pino logger that keeps every line in memory (to check what is and is not logged). */
export function memoryLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) })
  return { logger, lines }
}

export interface GivenServer {
  transport: DtlsTransport
  address: PeerAddress
  received: InboundDatagram[]
  ended: Array<{ peer: PeerAddress; identity: string | undefined; reason: SessionEndReason }>
  lines: string[]
  /** Waits until `fn` holds (polling), failing after `ms`. */
  until(fn: () => boolean, ms?: number): Promise<void>
}

/** Starts a DTLS server on loopback port 0 that knows IDENTITY/KEY and echoes "echo:" + data. */
export async function givenServer(options: Partial<DtlsTransportOptions> = {}): Promise<GivenServer> {
  const { logger, lines } = memoryLogger()
  const keys = new Map([[IDENTITY, KEY]])
  const transport = createDtlsTransport({
    logger,
    pskLookup: async (id) => keys.get(id),
    // RFC 6347's 1 s. A shorter timer resends our ServerHello flight while a loaded machine is
    // still delivering the client's answer, which tests clients' duplicate handling rather than
    // what a test is about (node-dtls-client 1.1.1 hung on it). Tests about retransmission set their own.
    retransmitInitialMs: 1000,
    ...options,
  })
  const received: InboundDatagram[] = []
  const ended: GivenServer['ended'] = []
  transport.onDatagram((d) => {
    received.push(d)
    transport.send(d.peer, Buffer.concat([Buffer.from('echo:'), d.data])).catch(() => undefined)
  })
  transport.onSessionEnd((peer, identity, reason) => ended.push({ peer, identity, reason }))
  const address = await transport.listen()
  return { transport, address, received, ended, lines, until }
}

/** Polls `fn` until it holds. */
export async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
