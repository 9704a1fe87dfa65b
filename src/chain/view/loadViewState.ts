import type { Address, PublicClient } from 'viem'
import { toChainError } from '../toChainError.js'
import { fetchStoreEvents } from './fetchStoreEvents.js'
import { ViewState, type KeyedUnsealer, type Unsealer } from './viewState.js'

/**
 * One-shot load of the stores' current state from events (for `client list`, import checks...);
 * daemons use createChainView, which keeps it current.
 */
export async function loadViewState(
  client: PublicClient,
  p: { clientStore: Address; userStore: Address; deployBlock: bigint; rpcUrl?: string; unseal?: Unsealer | KeyedUnsealer },
): Promise<ViewState> {
  const state = new ViewState(p.unseal)
  try {
    // Not viem's cached block number: a caller that just wrote must read its own write.
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const events = await fetchStoreEvents(client, { clientStore: p.clientStore, userStore: p.userStore, fromBlock: p.deployBlock, toBlock: head })
    for (const ev of events) state.apply(ev)
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  return state
}
