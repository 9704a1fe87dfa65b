/**
 * The serving half of an endpoint: calls the request handler, answers piggybacked or separately,
 * reassembles Block1 bodies, slices large responses into Block2 blocks, checks critical options,
 * and keeps the Observe relations we serve (RFC 7641).
 */
import { peerKey, type PeerAddress } from '../types.js'
import { type EndpointCore, type SeenEntry, tokenHex } from './core.js'
import { CoapEndpointClosedError, CoapFormatError } from './errors.js'
import { codeToByte, emptyMessage, isResponseCode, type CoapMessage, type CoapOption } from './message.js'
import { ExpiringMap } from './expiring-map.js'
import { sliceBlock2, type Outgoing } from './block2.js'
import { ObserveRelation } from './observe-relation.js'
import {
  OptionNumber as O,
  blockSize,
  encodeBlock,
  encodeUint,
  firstUnknownCritical,
  getBlock,
  getUint,
  sizeToSzx,
  concatBytes,
} from './options.js'
import {
  methodOfCode,
  payloadBytes,
  responseOptions,
  toRequest,
  type CoapRequest,
  type CoapRequestContext,
  type CoapResponseInit,
} from './request.js'

/** Serves one request; whatever it throws becomes a 5.00. */
export type CoapRequestHandler = (req: CoapRequest, ctx: CoapRequestContext) => Promise<CoapResponseInit> | CoapResponseInit

interface Reassembly {
  readonly parts: Uint8Array[]
  received: number
}

const NOT_FOUND: CoapResponseInit = { code: '4.04' }

/** The server half; the endpoint routes requests to handleRequest(). */
export class CoapServerSide {
  private handler: CoapRequestHandler = () => NOT_FOUND
  /** Partial Block1 bodies by peer + method + URI. */
  private readonly reassembly: ExpiringMap<string, Reassembly>
  /** Whole responses being served block by block, by peer + method + URI. */
  private readonly blockCache: ExpiringMap<string, Outgoing>
  private readonly relations = new Map<string, ObserveRelation>()

  constructor(private readonly core: EndpointCore) {
    this.reassembly = new ExpiringMap(core.cfg.exchangeLifetimeMs, 10_000)
    this.blockCache = new ExpiringMap(core.cfg.exchangeLifetimeMs, 10_000)
  }

  onRequest(handler: CoapRequestHandler): void {
    this.handler = handler
  }

  /** Handles a request that is not a duplicate; `seen` receives the reply for later duplicates. */
  handleRequest(peer: PeerAddress, identity: string | undefined, msg: CoapMessage, seen: SeenEntry): void {
    this.core.stats.requestsReceived++
    const respond = this.responder(peer, msg, seen)
    if (!methodOfCode(msg.code)) return respond({ code: '4.05', options: [], payload: new Uint8Array(0) })
    const critical = firstUnknownCritical(msg.options)
    if (critical !== undefined) {
      return respond({ code: '4.02', options: [], payload: payloadBytes(`unknown critical option ${critical}`) })
    }
    let block1, block2
    try {
      block1 = getBlock(msg.options, O.BLOCK1)
      block2 = getBlock(msg.options, O.BLOCK2)
    } catch (err) {
      return respond({ code: '4.02', options: [], payload: payloadBytes((err as CoapFormatError).shortMessage) })
    }
    const uriKey = `${peerKey(peer)}#${msg.code}#${uriOf(msg.options)}`
    const szx2 = Math.min(block2?.szx ?? 6, sizeToSzx(this.core.cfg.blockSize))

    if (block2 && block2.num > 0) {
      const cached = this.blockCache.get(uriKey)
      if (cached) return respond(sliceBlock2(cached, block2.num, szx2))
    }

    let payload = msg.payload
    let finalBlock1: CoapOption | undefined
    if (block1) {
      const outcome = this.reassemble(uriKey, msg, block1)
      if ('reply' in outcome) return respond(outcome.reply)
      payload = outcome.body
      finalBlock1 = { number: O.BLOCK1, value: encodeBlock({ num: block1.num, more: false, szx: block1.szx }) }
    }

    let request: CoapRequest
    try {
      request = toRequest(msg, payload)
    } catch (err) {
      // An option value out of its format (a 5-byte Content-Format...): the request is malformed.
      return respond({ code: '4.00', options: [], payload: payloadBytes((err as CoapFormatError).shortMessage) })
    }
    const relationKey = `${peerKey(peer)}#${tokenHex(msg.token)}`
    // A new request on an observed token (re-registration or Observe=1) ends the old relation.
    this.relations.get(relationKey)?.end('deregistered')
    let relation: ObserveRelation | undefined
    const canObserve = request.observe === 0 && (request.method === 'GET' || request.method === 'FETCH')
    const ctx: CoapRequestContext = {
      peer,
      identity,
      acceptObserve: canObserve
        ? () => {
            relation ??= new ObserveRelation(this.core, peer, msg.token, uriKey, this.blockCache, szx2, () => {
              if (this.relations.get(relationKey) === relation) this.relations.delete(relationKey)
            })
            this.relations.set(relationKey, relation)
            return relation
          }
        : undefined,
    }

    const failed = (err: unknown): CoapResponseInit => {
      if (!(err instanceof CoapEndpointClosedError)) this.core.logger.error({ err, peer: peerKey(peer), path: request.path.join('/') }, 'coap handler failed')
      return { code: '5.00' }
    }
    const answer = (res: CoapResponseInit): void => {
      if (!this.core.running) return
      try {
        if (!isResponseCode(res.code)) throw new CoapFormatError(`handler answered with non-response code "${res.code}"`)
        codeToByte(res.code)
        const out: Outgoing = { code: res.code, options: responseOptions(res), payload: payloadBytes(res.payload) }
        if (finalBlock1) out.options.push(finalBlock1)
        if (relation && !relation.closed && res.code.startsWith('2.')) {
          out.options.push({ number: O.OBSERVE, value: encodeUint(relation.nextSeq()) })
        } else relation?.end('closed')
        if (out.payload.length > blockSize(szx2) || (block2 && block2.num > 0)) {
          this.blockCache.set(uriKey, out)
          respond(sliceBlock2(out, block2?.num ?? 0, szx2))
        } else respond(out)
      } catch (err) {
        // A response we cannot encode (bad code, option out of range) is the handler's bug: 5.00.
        this.core.logger.error({ err, peer: peerKey(peer) }, 'coap response not encodable')
        respond({ code: '5.00', options: [], payload: new Uint8Array(0) })
      }
    }

    let result: CoapResponseInit | Promise<CoapResponseInit>
    try {
      result = this.handler(request, ctx)
    } catch (err) {
      result = failed(err)
    }
    // A synchronous answer goes out piggybacked at once: no timer to arm.
    if (!(result instanceof Promise)) return answer(result)
    let answered = false
    const piggyback = msg.type === 'CON'
      ? this.core.timer(() => {
          if (answered) return
          // The handler is slow: acknowledge now so the peer stops retransmitting (§5.2.2).
          seen.reply = this.core.sendQuietly(peer, emptyMessage('ACK', msg.messageId))
        }, this.core.cfg.piggybackDelayMs)
      : undefined
    result.catch(failed).then((res) => {
      answered = true
      this.core.cancelTimer(piggyback)
      answer(res)
    })
  }

  /** Ends the peer's relations (its DTLS session ended: notifications could not reach it). */
  sessionEnded(peer: PeerAddress): void {
    const prefix = `${peerKey(peer)}#`
    for (const [key, r] of [...this.relations]) if (key.startsWith(prefix)) r.end('closed')
  }

  /** Ends every relation (endpoint stopping). */
  shutdown(): void {
    for (const r of [...this.relations.values()]) r.end('closed')
    this.reassembly.clear()
    this.blockCache.clear()
  }

  get observers(): number {
    return this.relations.size
  }

  /** Sends a response the right way: piggybacked in the ACK, as a separate CON, or as NON. */
  private responder(peer: PeerAddress, req: CoapMessage, seen: SeenEntry): (out: Outgoing) => void {
    return (out) => {
      const base = { code: out.code, token: req.token, options: out.options, payload: out.payload }
      if (req.type === 'CON' && seen.reply === undefined) {
        seen.reply = this.core.sendQuietly(peer, { ...base, type: 'ACK', messageId: req.messageId })
      } else if (req.type === 'CON') {
        this.core
          .sendConfirmable(peer, { ...base, type: 'CON', messageId: this.core.nextMessageId() }, `separate ${out.code} response`)
          .catch((err) => this.core.logger.debug({ err, peer: peerKey(peer) }, 'coap separate response not acknowledged'))
      } else {
        this.core.sendQuietly(peer, { ...base, type: 'NON', messageId: this.core.nextMessageId() })
      }
    }
  }

  /** Adds one Block1 block; returns the whole body once the last block is in, else the reply to send. */
  private reassemble(key: string, msg: CoapMessage, block: { num: number; more: boolean; szx: number }): { body: Uint8Array } | { reply: Outgoing } {
    const max = this.core.cfg.maxBodySize
    const tooLarge = (): { reply: Outgoing } => {
      this.reassembly.delete(key)
      return { reply: { code: '4.13', options: [{ number: O.SIZE1, value: encodeUint(max) }], payload: new Uint8Array(0) } }
    }
    const size1 = getUint(msg.options, O.SIZE1)
    if (size1 !== undefined && size1 > max) return tooLarge()
    // We accept the client's block size up to ours, and ask for ours if it is larger.
    const ourSzx = sizeToSzx(this.core.cfg.blockSize)
    if (block.num === 0) this.reassembly.set(key, { parts: [], received: 0 })
    const state = this.reassembly.get(key)
    const offset = block.num * blockSize(block.szx)
    if (!state || offset !== state.received) {
      this.reassembly.delete(key)
      return { reply: { code: '4.08', options: [], payload: payloadBytes('block out of sequence') } }
    }
    if (block.more && msg.payload.length !== blockSize(block.szx)) {
      this.reassembly.delete(key)
      return { reply: { code: '4.00', options: [], payload: payloadBytes('block payload does not match its size') } }
    }
    state.parts.push(msg.payload)
    state.received += msg.payload.length
    if (state.received > max) return tooLarge()
    if (block.more) {
      const szx = Math.min(block.szx, ourSzx)
      return { reply: { code: '2.31', options: [{ number: O.BLOCK1, value: encodeBlock({ num: block.num, more: true, szx }) }], payload: new Uint8Array(0) } }
    }
    this.reassembly.delete(key)
    return { body: concatBytes(state.parts) }
  }
}


/** Request URI (path and query) as a key; Block and Observe options do not take part. */
const dec = new TextDecoder()

function uriOf(options: readonly CoapOption[]): string {
  return options
    .filter((o) => o.number === O.URI_PATH || o.number === O.URI_QUERY)
    .map((o) => `${o.number}=${dec.decode(o.value)}`)
    .join('&')
}
