import type { Hash } from 'viem'
import { removeClient } from '../../chain/clients/removeClient.js'
import { validateText } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** Removes a client from the chain (revokes it everywhere). */
export async function runClientRemove(o: ChainCommandOptions, endpoint: string): Promise<{ endpoint: string; txHash: Hash }> {
  validateText(endpoint, 'endpoint name')
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const { txHash } = await removeClient(conn, { clientStore: deployment.contracts.clientStore, endpoint })
  return { endpoint, txHash }
}
