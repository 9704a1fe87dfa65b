import type { Address, PublicClient } from 'viem'
import { toChainError } from '../toChainError.js'
import { fetchStoreEvents } from './fetchStoreEvents.js'
import { ViewState, type Unsealer } from './viewState.js'

/**
 * One-shot load of the stores' current state from events (for `client list`, import checks...);
 * daemons use createChainView, which keeps it current.
 */
export async function loadViewState(
  client: PublicClient,
  p: { clientStore: Address; userStore: Address; deployBlock: bigint; rpcUrl?: string; unseal?: Unsealer },
): Promise<ViewState> {
  const state = new ViewState(p.unseal)
  try {
    // Uncached: a block number cached by viem (its polling interval) would miss the latest writes.
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const events = await fetchStoreEvents(client, { clientStore: p.clientStore, userStore: p.userStore, fromBlock: p.deployBlock, toBlock: head })
    for (const ev of events) state.apply(ev)
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  return state
}
