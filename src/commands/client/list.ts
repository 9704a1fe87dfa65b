import { loadViewState } from '../../chain/view/loadViewState.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** One row of `client list` (no keys). */
export interface ClientListItem {
  endpoint: string
  bootstrap: { uri: string; identity: string }
  server: { uri: string; identity: string }
  version: number
}

/** Lists every registered client, from the stores' events. */
export async function runClientList(o: ChainCommandOptions): Promise<ClientListItem[]> {
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const state = await loadViewState(conn.publicClient, {
    ...deployment.contracts,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  return state
    .clients()
    .map((c) => ({
      endpoint: c.endpoint,
      bootstrap: { uri: c.bootstrap.uri, identity: c.bootstrap.identity },
      server: { uri: c.server.uri, identity: c.server.identity },
      version: c.version,
    }))
    .sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0))
}
