import { createTestClient, http } from 'viem'
import type { Logger } from '../logger.js'
import { subscribeRpc, webSocketUrlOf, type RpcSubscription } from './rpcSubscription.js'

/**
 * Mining of the embedded chain. Anvil's automine mines one block per transaction, and anvil
 * rebuilds its whole state trie for every block (alloy's HashBuilder over every storage slot):
 * with a registry of N clients each block costs O(N), so a 100,000-row import of 834 batches
 * spent 362 s, most of it hashing the same state again. This miner keeps automine's latency
 * when the chain is idle and lets blocks fill up under load, as a real chain's do:
 *
 * - anvil runs with --no-mining; a transaction's arrival is announced to us by
 *   eth_subscribe("newPendingTransactions") (polling txpool_status while that is down);
 * - a block is mined as soon as a transaction waits, unless transactions were already waiting
 *   when the last block was done (load) and it ended less than `pace` × its own mining time
 *   ago: then after that. Under load anvil thus spends at most 1 / (pace + 1) of its time
 *   mining, and the transactions that arrive meanwhile share the next block.
 *
 * On a small chain a block takes 1–3 ms, so a command waits a few ms at most; at 100,000 clients
 * a block takes ~0.5 s and holds the whole window of an import's batches.
 */
export interface EmbeddedMinerOptions {
  rpcUrl: string
  /** Where to subscribe to pending transactions; default the WebSocket of `rpcUrl`. */
  wsUrl?: string
  /** Wait after a block, in multiples of its mining time, before the next. Default 4. */
  pace?: number
  /** Poll interval while the pending-transaction subscription is down, ms. Default 100. */
  pollMs?: number
  logger?: Logger
}

export interface EmbeddedMiner {
  /** Blocks mined so far. */
  blocks(): number
  /** Whether transaction arrivals come by subscription (else the miner polls). */
  subscribed(): boolean
  /** Stops mining; resolves once a block being mined is done. */
  stop(): Promise<void>
}

/** Starts mining `rpcUrl` (an anvil started with --no-mining) on demand. */
export function startEmbeddedMiner(o: EmbeddedMinerOptions): EmbeddedMiner {
  const pace = o.pace ?? 4
  const pollMs = o.pollMs ?? 100
  let stopped = false
  let wanted = false
  let running: Promise<void> | undefined
  let lastEnd = 0
  let lastCost = 0
  let mined = 0
  let pacing: { timer: NodeJS.Timeout; resolve: () => void } | undefined
  let lastError: string | undefined

  // viem's test actions: anvil_mine and txpool_status, typed.
  const chain = createTestClient({ mode: 'anvil', transport: http(o.rpcUrl, { retryCount: 0 }) })
  /** Transactions ready to mine. */
  const pending = async (): Promise<number> => (await chain.getTxpoolStatus()).pending

  const waitFor = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      pacing = { timer: setTimeout(resolve, ms), resolve }
    })

  const loop = async (): Promise<void> => {
    while (wanted && !stopped) {
      wanted = false
      try {
        if ((await pending()) === 0) {
          // Idle: nothing came while the last block was mined, so the next arrival is mined at
          // once. (Pacing it too made a command right after another wait 4 blocks' time: at
          // 10,000 clients a lone `client add` took 346 ms.)
          lastCost = 0
          continue
        }
        const wait = lastEnd + pace * lastCost - performance.now()
        if (wait > 0) await waitFor(wait)
        pacing = undefined
        if (stopped) break
        const t = performance.now()
        await chain.mine({ blocks: 1 })
        lastEnd = performance.now()
        lastCost = lastEnd - t
        mined++
        // Look again at once: what arrived meanwhile (or did not fit the gas limit) is load.
        wanted = true
        if (lastError !== undefined) o.logger?.info('embedded chain mining back')
        lastError = undefined
      } catch (err) {
        // anvil is stopping, or busy past fetch's patience: the next arrival or poll tries again.
        const message = (err as Error).message
        if (message !== lastError) o.logger?.warn({ err: message }, 'embedded chain could not mine; retrying')
        lastError = message
        lastEnd = performance.now()
        wanted = true
        await waitFor(pollMs)
        pacing = undefined
      }
    }
  }

  const kick = (): void => {
    wanted = true
    running ??= loop().finally(() => {
      running = undefined
      if (wanted && !stopped) kick()
    })
  }

  // Polls only while the subscription is down; an arrival between two polls waits pollMs at most.
  const poll = setInterval(() => {
    if (!subscription?.subscribed()) kick()
  }, pollMs)
  poll.unref()
  const wsUrl = o.wsUrl ?? webSocketUrlOf(o.rpcUrl)
  const subscription: RpcSubscription | undefined = wsUrl
    ? subscribeRpc({
        url: wsUrl,
        params: ['newPendingTransactions'],
        label: 'pending-transaction subscription',
        logger: o.logger,
        onData: kick,
        // Up again: something may have arrived while it was down.
        onState: (up) => up && kick(),
      })
    : undefined
  kick()

  return {
    blocks: () => mined,
    subscribed: () => subscription?.subscribed() ?? false,
    async stop() {
      stopped = true
      clearInterval(poll)
      if (pacing) {
        clearTimeout(pacing.timer)
        pacing.resolve()
      }
      await subscription?.stop()
      await running
    },
  }
}
