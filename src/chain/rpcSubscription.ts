import { webSocket } from 'viem'
import type { Logger } from '../logger.js'
import { redactUrl } from '../errors/base.js'

export interface RpcSubscriptionOptions {
  /** ws:// or wss:// JSON-RPC endpoint offering eth_subscribe. */
  url: string
  /** eth_subscribe's parameters, e.g. ['newHeads'] or ['newPendingTransactions']. */
  params: unknown[]
  /** Called with the `result` of every notification. */
  onData: (result: unknown) => void
  /** Called when the subscription comes up (true) or is lost (false). */
  onState?: (subscribed: boolean) => void
  /** First delay before subscribing again after a failure, doubled up to 60 s. Default 1 s. */
  retryMs?: number
  /** What the log lines call it, e.g. 'new-head subscription'. */
  label?: string
  logger?: Logger
}

/** A running subscription: it resubscribes by itself after a failure until stopped. */
export interface RpcSubscription {
  subscribed(): boolean
  stop(): Promise<void>
}

/** http(s)://host/path → ws(s)://host/path: where anvil, geth and most nodes serve WebSocket JSON-RPC. */
export function webSocketUrlOf(rpcUrl: string): string | undefined {
  const m = /^(https?):\/\/(.+)$/i.exec(rpcUrl)
  if (!m) return /^wss?:\/\//i.test(rpcUrl) ? rpcUrl : undefined
  return `${m[1].toLowerCase() === 'https' ? 'wss' : 'ws'}://${m[2]}`
}

/**
 * One eth_subscribe over one WebSocket. A failure (refused, closed, an RPC without
 * subscriptions) is logged once and retried with backoff; the owner polls meanwhile, told so by
 * onState(false).
 */
export function subscribeRpc(o: RpcSubscriptionOptions): RpcSubscription {
  const label = o.label ?? `${String(o.params[0])} subscription`
  const firstRetryMs = o.retryMs ?? 1_000
  let retryMs = firstRetryMs
  let stopped = false
  let up = false
  let timer: NodeJS.Timeout | undefined
  let close: (() => void) | undefined
  let lastLogged: string | undefined
  /** Each attempt has its own number, so a late callback of a dead socket is ignored. */
  let attempt = 0

  const setUp = (value: boolean): void => {
    if (up === value) return
    up = value
    o.onState?.(value)
  }

  const fail = (n: number, err: unknown): void => {
    if (n !== attempt || stopped) return
    attempt++
    const message = (err as Error)?.message?.split('\n')[0] ?? String(err)
    if (message !== lastLogged) {
      o.logger?.info({ url: redactUrl(o.url), err: message }, `${label} unavailable; polling meanwhile`)
      lastLogged = message
    }
    setUp(false)
    close?.()
    close = undefined
    timer = setTimeout(connect, retryMs)
    timer.unref?.()
    retryMs = Math.min(retryMs * 2, 60_000)
  }

  const connect = async (): Promise<void> => {
    if (stopped) return
    const n = ++attempt
    try {
      // Our own retry loop, not viem's: its reconnect gives up silently after a few attempts.
      const transport = webSocket(o.url, { reconnect: false, keepAlive: { interval: 10_000 }, retryCount: 0, timeout: 10_000 })({})
      const rpc = await transport.value!.getRpcClient()
      close = () => {
        try {
          rpc.close()
        } catch {
          // already closed
        }
      }
      if (n !== attempt || stopped) return close()
      await transport.value!.subscribe({
        params: o.params as never,
        onData: (data: { result?: unknown }) => {
          if (n === attempt) o.onData(data?.result)
        },
        onError: (err: unknown) => fail(n, err),
      })
      if (n !== attempt || stopped) return close()
      retryMs = firstRetryMs
      if (lastLogged !== undefined) o.logger?.info({ url: redactUrl(o.url) }, `${label} back`)
      lastLogged = undefined
      setUp(true)
    } catch (err) {
      fail(n, err)
    }
  }

  void connect()
  return {
    subscribed: () => up,
    async stop() {
      stopped = true
      attempt++
      if (timer) clearTimeout(timer)
      close?.()
      close = undefined
      up = false
    },
  }
}
