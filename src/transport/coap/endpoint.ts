/**
 * One CoAP endpoint (RFC 7252) on one DatagramTransport that both serves requests and sends its
 * own through the same socket and sessions: the LwM2M server reads a device through the very
 * DTLS session the device registered on.
 *
 * Ours, not the design card's `coap` (node-coap): node-coap reads and writes its own `dgram`
 * socket and has no DTLS, while we need CoAP over a DTLS-PSK session whose identity reaches every
 * request, plus Block1/Block2 and Observe on both sides. This endpoint runs over the
 * DatagramTransport seam (UDP or DTLS) instead.
 */
import { peerKey, type InboundDatagram, type PeerAddress } from '../types.js'
import { CoapClientSide, type CoapObservation, type CoapObservationEnd, type CoapRequestOptions } from './client.js'
import { EndpointCore, type CoapEndpointOptions, type CoapStats } from './core.js'
import { CoapFormatError } from './errors.js'
import { decodeMessage, emptyMessage, isRequestCode, isResponseCode, peekHeader, type CoapMessage } from './message.js'
import { CoapServerSide, type CoapRequestHandler } from './server.js'
import type { CoapRequestInit, CoapResponse } from './request.js'

/** A running CoAP endpoint. */
export interface CoapEndpoint {
  /** Binds the transport; resolves with the local address. */
  start(): Promise<PeerAddress>
  /** Clears every timer, rejects pending requests, ends observations, closes the transport. */
  stop(): Promise<void>
  /** The bound address. */
  address(): PeerAddress
  /** Sets the request handler (default: 4.04 for everything). */
  onRequest(handler: CoapRequestHandler): void
  /** Sends a request (Block1/Block2 as needed); rejects with CoapTimeoutError, CoapResetError... */
  request(peer: PeerAddress, req: CoapRequestInit, opts?: CoapRequestOptions): Promise<CoapResponse>
  /**
   * Registers an observation (GET Observe=0); notifications go to onNotification in order, and
   * onEnd is called once if the relation ends after it was set up.
   */
  observe(
    peer: PeerAddress,
    req: CoapRequestInit,
    onNotification: (res: CoapResponse) => void,
    onEnd?: (reason: CoapObservationEnd) => void,
  ): Promise<CoapObservation>
  /** Counters and current table sizes. */
  stats(): CoapStats & { pendingRequests: number; observing: number; observers: number; pendingTransmissions: number }
}

export type { CoapEndpointOptions }

/** Creates an endpoint over a transport; the endpoint owns the transport (start listens, stop closes). */
export function createCoapEndpoint(options: CoapEndpointOptions): CoapEndpoint {
  const core = new EndpointCore(options)
  const client = new CoapClientSide(core)
  const server = new CoapServerSide(core)
  const logger = core.logger
  let wired = false

  const receive = (d: InboundDatagram): void => {
    if (!core.running) return
    let msg: CoapMessage
    try {
      msg = decodeMessage(d.data)
    } catch (err) {
      core.stats.badDatagrams++
      const header = peekHeader(d.data)
      logger.debug({ peer: peerKey(d.peer), err: (err as CoapFormatError).shortMessage }, 'coap datagram dropped')
      // RFC 7252 §4.2: a CON we cannot process is rejected with a Reset.
      if (header?.type === 'CON') core.sendQuietly(d.peer, emptyMessage('RST', header.messageId))
      return
    }
    try {
      dispatch(d, msg)
    } catch (err) {
      core.stats.badDatagrams++
      if (err instanceof CoapFormatError) {
        if (msg.type === 'CON') core.sendQuietly(d.peer, emptyMessage('RST', msg.messageId))
        logger.debug({ peer: peerKey(d.peer), err: err.shortMessage }, 'coap message rejected')
      } else logger.error({ err, peer: peerKey(d.peer) }, 'coap dispatch failed')
    }
  }

  const dispatch = (d: InboundDatagram, msg: CoapMessage): void => {
    const peer = d.peer
    if (msg.type === 'ACK' || msg.type === 'RST') {
      if (isRequestCode(msg.code)) return // ACK/RST never carry requests (§4.2): ignore.
      if (!core.settleTransmission(peer, msg) && msg.type === 'RST') {
        const hook = core.resetHooks.get(`${peerKey(peer)}#${msg.messageId}`)
        if (hook) {
          core.stats.resetsReceived++
          core.resetHooks.delete(`${peerKey(peer)}#${msg.messageId}`)
          hook()
        }
      }
      return
    }
    // CON or NON: deduplicate by message id.
    const seen = core.lookupSeen(peer, msg)
    if (seen) {
      core.stats.duplicates++
      if (msg.type === 'CON' && seen.reply) void core.sendBytes(peer, seen.reply).catch(() => {})
      return
    }
    const entry = core.markSeen(peer, msg)
    if (msg.code === '0.00') {
      // CoAP ping (§4.3): a CON empty message is answered with RST.
      if (msg.type === 'CON') entry.reply = core.sendQuietly(peer, emptyMessage('RST', msg.messageId))
      return
    }
    if (isRequestCode(msg.code)) return server.handleRequest(peer, d.identity, msg, entry)
    if (isResponseCode(msg.code)) {
      const reply = client.handleResponse(peer, msg)
      if (reply) entry.reply = core.sendQuietly(peer, reply)
      return
    }
    // Classes 1, 3, 6, 7 are reserved: reject a CON, ignore a NON.
    if (msg.type === 'CON') entry.reply = core.sendQuietly(peer, emptyMessage('RST', msg.messageId))
  }

  return {
    async start() {
      if (!wired) {
        options.transport.onDatagram(receive)
        options.transport.onSessionEnd((peer, _identity, reason) => {
          if (!core.running) return
          core.sessionEnded(peer, reason)
          client.sessionEnded(peer, reason)
          server.sessionEnded(peer)
        })
        wired = true
      }
      const address = await options.transport.listen()
      core.running = true
      return address
    },
    async stop() {
      client.shutdown()
      server.shutdown()
      core.shutdown()
      await options.transport.close()
    },
    address: () => options.transport.address(),
    onRequest: (handler) => server.onRequest(handler),
    request: (peer, req, opts) => client.request(peer, req, opts),
    observe: (peer, req, onNotification, onEnd) => client.observe(peer, req, onNotification, onEnd),
    stats: () => ({
      ...core.stats,
      pendingRequests: client.pending,
      observing: client.observing,
      observers: server.observers,
      pendingTransmissions: core.pendingTransmissions,
    }),
  }
}
