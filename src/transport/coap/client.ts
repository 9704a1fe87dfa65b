/**
 * The requesting half of an endpoint: token matching, piggybacked and separate responses,
 * Block1 sending, Block2 fetching (RFC 7959) and Observe relations we hold as a client (RFC 7641).
 */
import { peerKey, type CoapObservation, type CoapRequestOptions, type PeerAddress } from '../types.js'
import { type EndpointCore, tokenHex } from './core.js'
import { CoapBlockError, CoapEndpointClosedError, CoapFormatError, CoapResetError, CoapSessionEndedError, CoapTimeoutError } from './errors.js'
import { emptyMessage, type CoapMessage, type CoapOption } from './message.js'
import {
  OptionNumber as O,
  blockSize,
  encodeBlock,
  encodeUint,
  firstUnknownCritical,
  getBlock,
  getOption,
  getUint,
  sizeToSzx,
  withoutOptions,
  concatBytes,
} from './options.js'
import {
  codeOfMethod,
  payloadBytes,
  requestOptions,
  toResponse,
  type CoapRequestInit,
  type CoapResponse,
} from './request.js'

export type { CoapObservation, CoapRequestOptions } from '../types.js'

/** Why a client-side observation ended. */
export type CoapObservationEnd = 'cancelled' | 'ended-by-peer' | 'session-ended' | 'stopped'


interface Exchange {
  readonly peer: PeerAddress
  readonly messageId: number
  timer?: ReturnType<typeof setTimeout>
  readonly resolve: (msg: CoapMessage) => void
  readonly reject: (err: Error) => void
}

interface Observation {
  readonly peer: PeerAddress
  readonly init: CoapRequestInit
  readonly onNotification: (res: CoapResponse) => void
  readonly onEnd?: (reason: CoapObservationEnd) => void
  last?: { seq: number; at: number }
}

const EMPTY = new Uint8Array(0)

/** The client half; the endpoint routes responses to handleResponse(). */
export class CoapClientSide {
  private readonly exchanges = new Map<string, Exchange>()
  private readonly observations = new Map<string, Observation>()

  constructor(private readonly core: EndpointCore) {}

  /** Sends a request, with Block1/Block2 as needed, and resolves with the whole response. */
  async request(peer: PeerAddress, init: CoapRequestInit, opts: CoapRequestOptions = {}): Promise<CoapResponse> {
    const first = await this.sendBlock1(peer, init, opts)
    return this.fetchRest(peer, init, first, opts)
  }

  /** Registers an observation; notifications after the first response go to onNotification. */
  async observe(
    peer: PeerAddress,
    init: CoapRequestInit,
    onNotification: (res: CoapResponse) => void,
    onEnd?: (reason: CoapObservationEnd) => void,
  ): Promise<CoapObservation> {
    const token = this.core.newToken()
    const key = `${peerKey(peer)}#${tokenHex(token)}`
    const obsInit: CoapRequestInit = { ...init, observe: 0 }
    const observation: Observation = { peer, init: obsInit, onNotification, onEnd }
    this.observations.set(key, observation)
    let firstMsg: CoapMessage
    try {
      firstMsg = await this.exchange(peer, this.buildRequest(obsInit, token, requestOptions(obsInit), payloadBytes(init.payload)), {})
    } catch (err) {
      this.observations.delete(key)
      throw err
    }
    const seq = getUint(firstMsg.options, O.OBSERVE)
    if (seq === undefined || !firstMsg.code.startsWith('2.')) this.observations.delete(key)
    else observation.last = { seq, at: Date.now() }
    let first: CoapResponse
    try {
      first = await this.fetchRest(peer, obsInit, firstMsg, {})
    } catch (err) {
      this.observations.delete(key)
      throw err
    }
    const observations = this.observations
    return {
      first,
      get active() {
        return observations.get(key) === observation
      },
      cancel: async () => {
        if (!this.observations.delete(key)) return
        this.ended(observation, 'cancelled')
        // RFC 7641 §3.6: the cancel is the registering request again (method, options, payload:
        // a FETCH's payload names what is observed, RFC 8132 §2.4) with Observe 1, same token.
        const cancelInit: CoapRequestInit = { ...init, observe: 1 }
        try {
          const msg = await this.exchange(peer, this.buildRequest(cancelInit, token, requestOptions(cancelInit), payloadBytes(init.payload)), {})
          await this.fetchRest(peer, cancelInit, msg, {})
        } catch (err) {
          // The relation is gone on our side; a Reset on the next notification finishes the job.
          this.core.logger.debug({ err, peer: peerKey(peer) }, 'coap observe cancel not answered')
        }
      },
    }
  }

  /**
   * Handles a response that is not a piggybacked ACK (separate CON/NON response or notification).
   * Returns the reply to send (empty ACK or RST) so the endpoint can cache it for duplicates.
   */
  handleResponse(peer: PeerAddress, msg: CoapMessage): CoapMessage | undefined {
    // RFC 7252 §5.4.1: a response with a critical option we do not know is rejected.
    if (firstUnknownCritical(msg.options) !== undefined) return emptyMessage('RST', msg.messageId)
    const key = `${peerKey(peer)}#${tokenHex(msg.token)}`
    const exchange = this.exchanges.get(key)
    const ack = msg.type === 'CON' ? emptyMessage('ACK', msg.messageId) : undefined
    if (exchange) {
      // A separate response also acknowledges our request (its ACK may have been lost).
      this.core.abandonTransmission(peer, exchange.messageId)
      exchange.resolve(msg)
      return ack
    }
    const observation = this.observations.get(key)
    if (observation) {
      this.notify(key, observation, msg)
      return ack
    }
    // Nobody waits for this token: reject it, which also ends a stale observation (RFC 7641 §3.6).
    return emptyMessage('RST', msg.messageId)
  }

  /** Rejects the peer's pending requests and drops its observations (its DTLS session ended). */
  sessionEnded(peer: PeerAddress, reason: string): void {
    const prefix = `${peerKey(peer)}#`
    for (const [key, ex] of [...this.exchanges]) if (key.startsWith(prefix)) ex.reject(new CoapSessionEndedError(peerKey(peer), reason))
    for (const [key, o] of [...this.observations]) {
      if (!key.startsWith(prefix)) continue
      this.observations.delete(key)
      this.ended(o, 'session-ended')
    }
  }

  private ended(o: Observation, reason: CoapObservationEnd): void {
    try {
      o.onEnd?.(reason)
    } catch (err) {
      this.core.logger.error({ err }, 'coap observation end handler threw')
    }
  }

  /** Rejects everything pending (endpoint stopping). */
  shutdown(): void {
    for (const ex of [...this.exchanges.values()]) ex.reject(new CoapEndpointClosedError())
    const observations = [...this.observations.values()]
    this.observations.clear()
    for (const o of observations) this.ended(o, 'stopped')
  }

  get pending(): number {
    return this.exchanges.size
  }

  get observing(): number {
    return this.observations.size
  }

  private notify(key: string, observation: Observation, msg: CoapMessage): void {
    this.core.stats.notificationsReceived++
    const seq = getUint(msg.options, O.OBSERVE)
    const now = Date.now()
    if (seq !== undefined && observation.last && !isFresher(observation.last, seq, now)) {
      this.core.logger.debug({ peer: peerKey(observation.peer), seq }, 'coap stale notification dropped')
      return
    }
    if (seq !== undefined) observation.last = { seq, at: now }
    // An error code or a missing Observe option ends the relation (RFC 7641 §3.2).
    const last = seq === undefined || !msg.code.startsWith('2.')
    if (last) this.observations.delete(key)
    const plain: CoapRequestInit = { ...observation.init, observe: undefined }
    this.fetchRest(observation.peer, plain, msg, {}).then(
      (res) => {
        try {
          observation.onNotification(res)
        } catch (err) {
          this.core.logger.error({ err }, 'coap notification handler threw')
        }
        if (last) this.ended(observation, 'ended-by-peer')
      },
      (err) => {
        this.core.logger.debug({ err }, 'coap notification body not fetched')
        if (last) this.ended(observation, 'ended-by-peer')
      },
    )
  }

  /** Sends the request body in Block1 blocks when it does not fit one; returns the final response. */
  private async sendBlock1(peer: PeerAddress, init: CoapRequestInit, opts: CoapRequestOptions): Promise<CoapMessage> {
    const payload = payloadBytes(init.payload)
    const base = requestOptions(init)
    let size = this.core.cfg.blockSize
    if (payload.length <= size) {
      // A small block size is asked for up front (RFC 7959 §2.4 early negotiation).
      const early = size < 1024 && (init.method === 'GET' || init.method === 'FETCH') && !base.some((o) => o.number === O.BLOCK2)
      const options = early ? [...base, { number: O.BLOCK2, value: encodeBlock({ num: 0, more: false, szx: sizeToSzx(size) }) }] : base
      return this.exchange(peer, this.buildRequest(init, this.core.newToken(), options, payload), opts)
    }
    if (payload.length > this.core.cfg.maxBodySize) throw new CoapBlockError(`request body of ${payload.length} bytes exceeds maxBodySize`)
    let offset = 0
    for (;;) {
      const szx = sizeToSzx(size)
      const chunk = payload.subarray(offset, offset + size)
      const more = offset + chunk.length < payload.length
      const options: CoapOption[] = [...base, { number: O.BLOCK1, value: encodeBlock({ num: offset / size, more, szx }) }]
      if (offset === 0) options.push({ number: O.SIZE1, value: encodeUint(payload.length) })
      const res = await this.exchange(peer, this.buildRequest(init, this.core.newToken(), options, chunk), opts)
      if (!more || res.code !== '2.31') return res
      const ackBlock = getBlock(res.options, O.BLOCK1)
      offset += chunk.length
      // The server may ask for smaller blocks (RFC 7959 §2.5); offsets stay multiples of the new size.
      if (ackBlock && blockSize(ackBlock.szx) < size) size = blockSize(ackBlock.szx)
    }
  }

  /** Follows Block2 (more blocks of the response) until the body is complete. */
  private async fetchRest(peer: PeerAddress, init: CoapRequestInit, first: CoapMessage, opts: CoapRequestOptions): Promise<CoapResponse> {
    let block = getBlock(first.options, O.BLOCK2)
    if (!block || !block.more) return toResponse(first, first.payload)
    const parts: Uint8Array[] = [first.payload]
    let total = first.payload.length
    const etag = getOption(first.options, O.ETAG)
    const base = withoutOptions(requestOptions({ ...init, observe: undefined }), O.BLOCK1, O.SIZE1)
    while (block.more) {
      const size = blockSize(block.szx)
      const num = total / size
      if (!Number.isInteger(num)) throw new CoapBlockError(`block of unexpected size at offset ${total}`)
      const options = [...base, { number: O.BLOCK2, value: encodeBlock({ num, more: false, szx: block.szx }) }]
      // A FETCH's payload is part of what is asked (RFC 8132 §2.3.2): each block request repeats it.
      const body = init.method === 'FETCH' ? payloadBytes(init.payload) : EMPTY
      const res = await this.exchange(peer, this.buildRequest(init, this.core.newToken(), options, body), opts)
      if (!res.code.startsWith('2.')) return toResponse(res, res.payload)
      const next = getBlock(res.options, O.BLOCK2)
      if (!next || next.num * blockSize(next.szx) !== total) throw new CoapBlockError(`peer answered block ${next?.num} instead of offset ${total}`)
      const tag = getOption(res.options, O.ETAG)
      if (etag && tag && Buffer.compare(etag, tag) !== 0) throw new CoapBlockError('resource changed (ETag) during the transfer')
      parts.push(res.payload)
      total += res.payload.length
      if (total > this.core.cfg.maxBodySize) throw new CoapBlockError(`response body exceeds maxBodySize ${this.core.cfg.maxBodySize}`)
      block = next
    }
    return toResponse(first, concatBytes(parts))
  }

  private buildRequest(init: CoapRequestInit, token: Uint8Array, options: CoapOption[], payload: Uint8Array): CoapMessage {
    return {
      type: init.confirmable === false ? 'NON' : 'CON',
      code: codeOfMethod(init.method),
      messageId: this.core.nextMessageId(),
      token,
      options,
      payload,
    }
  }

  /** One request message, one response message: CON with retransmission or NON, matched by token. */
  private exchange(peer: PeerAddress, msg: CoapMessage, opts: CoapRequestOptions): Promise<CoapMessage> {
    const core = this.core
    if (!core.running) return Promise.reject(new CoapEndpointClosedError())
    const key = `${peerKey(peer)}#${tokenHex(msg.token)}`
    const responseTimeout = opts.responseTimeoutMs ?? core.cfg.responseTimeoutMs
    core.stats.requestsSent++
    return new Promise<CoapMessage>((resolve, reject) => {
      const finish = () => {
        core.cancelTimer(exchange.timer)
        if (this.exchanges.get(key) === exchange) this.exchanges.delete(key)
        core.abandonTransmission(peer, msg.messageId)
      }
      const exchange: Exchange = {
        peer,
        messageId: msg.messageId,
        resolve: (res) => {
          finish()
          core.stats.responsesReceived++
          resolve(res)
        },
        reject: (err) => {
          finish()
          reject(err)
        },
      }
      this.exchanges.set(key, exchange)
      const waitForResponse = () => {
        // The response may already be in (a NON answered before the send callback ran).
        if (this.exchanges.get(key) !== exchange) return
        exchange.timer = core.timer(() => {
          core.stats.timeouts++
          exchange.reject(new CoapTimeoutError(`no response from ${peerKey(peer)}`, `waited ${responseTimeout} ms`))
        }, responseTimeout)
      }
      if (msg.type === 'CON') {
        core.sendConfirmable(peer, msg, `${msg.code} request`).then(
          (ack) => {
            if (this.exchanges.get(key) !== exchange) return
            if (ack.code === '0.00') return waitForResponse()
            if (Buffer.compare(ack.token, msg.token) !== 0) {
              return exchange.reject(new CoapFormatError('piggybacked response with a different token'))
            }
            const critical = firstUnknownCritical(ack.options)
            if (critical !== undefined) return exchange.reject(new CoapFormatError(`response with unknown critical option ${critical}`))
            exchange.resolve(ack)
          },
          (err) => exchange.reject(err),
        )
      } else {
        core.resetHooks.set(`${peerKey(peer)}#${msg.messageId}`, () => exchange.reject(new CoapResetError(`${msg.code} NON request`)))
        core.send(peer, msg).then(waitForResponse, (err) => exchange.reject(err))
      }
    })
  }
}

/** RFC 7641 §3.4: is notification `seq`, received at `now`, newer than the last one? */
export function isFresher(last: { seq: number; at: number }, seq: number, now: number): boolean {
  const v1 = last.seq
  const v2 = seq
  return (v1 < v2 && v2 - v1 < 2 ** 23) || (v1 > v2 && v1 - v2 > 2 ** 23) || now > last.at + 128_000
}
