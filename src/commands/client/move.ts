import type { Hash } from 'viem'
import { readClientRecord } from '../../chain/clients/readClientRecord.js'
import { updateClient } from '../../chain/clients/updateClient.js'
import { ClientNotFoundError } from '../../chain/errors.js'
import { validateCoapUri, validateText } from '../../chain/records/validate.js'
import { UsageError } from '../../errors/base.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

export interface ClientMoveInput {
  endpoint: string
  serverUri?: string
  bootstrapUri?: string
}

/**
 * Re-homes a device: points its record at another LwM2M server (and/or bootstrap server). The
 * sealed keys are kept as they are (they are bound to the endpoint, not to the URI).
 */
export async function runClientMove(
  o: ChainCommandOptions,
  input: ClientMoveInput,
): Promise<{ endpoint: string; serverUri: string; bootstrapUri: string; version: number; txHash: Hash }> {
  validateText(input.endpoint, 'endpoint name')
  if (!input.serverUri && !input.bootstrapUri) throw new UsageError('give --server-uri (and/or --bootstrap-uri)')
  const serverUri = input.serverUri ? validateCoapUri(input.serverUri, 'server URI') : undefined
  const bootstrapUri = input.bootstrapUri ? validateCoapUri(input.bootstrapUri, 'bootstrap URI') : undefined
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const current = await readClientRecord(conn.publicClient, {
    clientStore: deployment.contracts.clientStore,
    endpoint: input.endpoint,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (!current) throw new ClientNotFoundError(input.endpoint)
  const record = {
    ...current.record,
    serverUri: serverUri ?? current.record.serverUri,
    bootstrapUri: bootstrapUri ?? current.record.bootstrapUri,
  }
  const { txHash } = await updateClient(conn, { clientStore: deployment.contracts.clientStore, record })
  return { endpoint: input.endpoint, serverUri: record.serverUri, bootstrapUri: record.bootstrapUri, version: current.version + 1, txHash }
}
