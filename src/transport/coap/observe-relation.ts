/** The server side of one observation (RFC 7641): sequence numbers, notifications, and how it ends. */
import { peerKey, type PeerAddress } from '../types.js'
import type { EndpointCore } from './core.js'
import { CoapEndpointClosedError } from './errors.js'
import type { ExpiringMap } from './expiring-map.js'
import type { CoapMessage } from './message.js'
import { OptionNumber as O, blockSize, encodeUint } from './options.js'
import { payloadBytes, responseOptions, type CoapObserveRelation, type CoapResponseInit } from './request.js'
import { sliceBlock2, type Outgoing } from './block2.js'

type CloseReason = 'deregistered' | 'reset' | 'timeout' | 'closed'

/** One observation we serve: sequence numbers, notifications, and how it ends. */
export class ObserveRelation implements CoapObserveRelation {
  closed = false
  private seq = 2
  private readonly closeHandlers: Array<(reason: CloseReason) => void> = []

  constructor(
    private readonly core: EndpointCore,
    private readonly peer: PeerAddress,
    private readonly token: Uint8Array,
    private readonly uriKey: string,
    private readonly blockCache: ExpiringMap<string, Outgoing>,
    private readonly szx: number,
    private readonly onEnd: () => void,
  ) {}

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffffff
    return this.seq
  }

  async notify(response: CoapResponseInit, options: { confirmable?: boolean } = {}): Promise<void> {
    if (this.closed) throw new CoapEndpointClosedError()
    const last = !response.code.startsWith('2.')
    const out: Outgoing = { code: response.code, options: responseOptions(response), payload: payloadBytes(response.payload) }
    if (!last) out.options.push({ number: O.OBSERVE, value: encodeUint(this.nextSeq()) })
    let sent = out
    if (out.payload.length > blockSize(this.szx)) {
      // The observer fetches the rest with the same method (GET, or FETCH with the same payload)
      // on the same URI, without Observe (RFC 7959 §3.4).
      this.blockCache.set(this.uriKey, { ...out, options: out.options.filter((o) => o.number !== O.OBSERVE) })
      sent = sliceBlock2(out, 0, this.szx)
    }
    const messageId = this.core.nextMessageId()
    const msg: CoapMessage = { type: options.confirmable ? 'CON' : 'NON', code: sent.code, messageId, token: this.token, options: sent.options, payload: sent.payload }
    this.core.stats.notificationsSent++
    if (last) this.end('closed')
    if (options.confirmable) {
      try {
        await this.core.sendConfirmable(this.peer, msg, 'notification')
      } catch (err) {
        this.end((err as { code?: string }).code === 'LWC_COAP_RESET' ? 'reset' : 'timeout')
        throw err
      }
    } else {
      this.core.resetHooks.set(`${peerKey(this.peer)}#${messageId}`, () => this.end('reset'))
      await this.core.send(this.peer, msg)
    }
  }

  close(): void {
    this.end('closed')
  }

  onClose(handler: (reason: CloseReason) => void): void {
    this.closeHandlers.push(handler)
  }

  end(reason: CloseReason): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    for (const h of this.closeHandlers) {
      try {
        h(reason)
      } catch (err) {
        this.core.logger.error({ err }, 'coap observe close handler threw')
      }
    }
  }
}
