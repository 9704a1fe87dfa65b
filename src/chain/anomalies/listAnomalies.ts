import { hexToBytes, type Address, type Hash, type Hex, type PublicClient } from 'viem'
import { anomalyStoreAbi } from '../generated/contracts.js'
import { endpointHash } from '../hashes.js'
import { toChainError } from '../toChainError.js'

/** An anomaly as its AnomalyPosted event tells it. */
export interface AnomalyRecord {
  id: bigint
  endpoint: string
  level: number
  /** Seconds since the epoch. */
  collectedAt: bigint
  dataHash: Hex
  data: Uint8Array
  poster: Address
  block: bigint
  txHash: Hash
}

export interface ListAnomaliesParameters {
  anomalyStore: Address
  deployBlock: bigint
  endpoint?: string
  /** Inclusive bounds on collectedAt, seconds since the epoch. */
  from?: bigint
  to?: bigint
  rpcUrl?: string
}

/** Lists anomalies from AnomalyPosted events, optionally for one endpoint and a time window. */
export async function listAnomalies(client: PublicClient, p: ListAnomaliesParameters): Promise<AnomalyRecord[]> {
  let logs: unknown[]
  try {
    logs = (await client.getContractEvents({
      address: p.anomalyStore,
      abi: anomalyStoreAbi,
      eventName: 'AnomalyPosted',
      args: p.endpoint !== undefined ? { endpointHash: endpointHash(p.endpoint) } : undefined,
      fromBlock: p.deployBlock,
    } as never)) as unknown[]
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  const out: AnomalyRecord[] = []
  for (const raw of logs as { args: Record<string, unknown>; blockNumber: bigint; transactionHash: Hash }[]) {
    const a = raw.args
    const rec: AnomalyRecord = {
      id: a.id as bigint,
      endpoint: a.endpoint as string,
      level: Number(a.level),
      collectedAt: a.collectedAt as bigint,
      dataHash: a.dataHash as Hex,
      data: hexToBytes(a.data as Hex),
      poster: a.poster as Address,
      block: raw.blockNumber,
      txHash: raw.transactionHash,
    }
    if (p.from !== undefined && rec.collectedAt < p.from) continue
    if (p.to !== undefined && rec.collectedAt > p.to) continue
    out.push(rec)
  }
  return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
}
