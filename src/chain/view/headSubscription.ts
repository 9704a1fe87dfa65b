import type { Logger } from '../../logger.js'
import { subscribeRpc, type RpcSubscription } from '../rpcSubscription.js'

export { webSocketUrlOf } from '../rpcSubscription.js'

export interface HeadSubscriptionOptions {
  /** ws:// or wss:// JSON-RPC endpoint offering eth_subscribe("newHeads"). */
  url: string
  /** Called with the number of every new head announced. */
  onHead: (blockNumber: bigint) => void
  /** Called when the subscription comes up (true) or is lost (false). */
  onState?: (subscribed: boolean) => void
  /** First delay before subscribing again after a failure, doubled up to 60 s. Default 1 s. */
  retryMs?: number
  logger?: Logger
}

/** A running newHeads subscription: it resubscribes by itself after a failure until stopped. */
export type HeadSubscription = RpcSubscription

/**
 * Follows new blocks through eth_subscribe("newHeads") so the view learns of a block as soon as
 * it is mined instead of at the next poll; the owner polls while it is down.
 */
export function subscribeToHeads(o: HeadSubscriptionOptions): HeadSubscription {
  return subscribeRpc({
    url: o.url,
    params: ['newHeads'],
    label: 'new-head subscription',
    retryMs: o.retryMs,
    logger: o.logger,
    onState: o.onState,
    onData: (result) => {
      const num = (result as { number?: unknown } | undefined)?.number
      if (typeof num === 'string') o.onHead(BigInt(num))
    },
  })
}
