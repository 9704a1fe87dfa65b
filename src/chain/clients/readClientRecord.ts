import type { Address, PublicClient } from 'viem'
import { clientStoreAbi } from '../generated/contracts.js'
import { endpointHash } from '../hashes.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { toChainError } from '../toChainError.js'
import { getClientEntry } from './getClientEntry.js'

/** A client's current full record (from its latest event) with version and time. */
export interface ClientRecordRead {
  record: OnChainClientRecord
  version: number
  updatedAt: number
  block: bigint
}

/**
 * Reads a client's full current record. The chain stores only a commitment, so the record comes
 * from the latest ClientAdded/ClientUpdated event for the endpoint whose version matches.
 */
export async function readClientRecord(
  client: PublicClient,
  p: { clientStore: Address; endpoint: string; deployBlock: bigint; rpcUrl?: string },
): Promise<ClientRecordRead | undefined> {
  const entry = await getClientEntry(client, p)
  if (!entry) return undefined
  try {
    const args = { endpointHash: endpointHash(p.endpoint) }
    const [added, updated] = await Promise.all(
      (['ClientAdded', 'ClientUpdated'] as const).map((eventName) =>
        client.getContractEvents({ address: p.clientStore, abi: clientStoreAbi, eventName, args, fromBlock: p.deployBlock } as never),
      ),
    )
    const logs = [...(added as unknown[]), ...(updated as unknown[])] as {
      args: { version: bigint; record: OnChainClientRecord }
      blockNumber: bigint
      logIndex: number
    }[]
    // A removed and re-added endpoint may repeat a version number: the latest event wins.
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
    const match = logs.filter((l) => Number(l.args.version) === entry.version).pop()
    if (!match) return undefined
    return { record: match.args.record, version: entry.version, updatedAt: entry.updatedAt, block: match.blockNumber }
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl, endpoint: p.endpoint })
  }
}
