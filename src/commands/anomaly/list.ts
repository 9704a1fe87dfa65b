import { listAnomalies } from '../../chain/anomalies/listAnomalies.js'
import { validateText } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import { parseIsoSeconds } from './post.js'

/** An anomaly as `anomaly list` prints it. */
export interface AnomalyListItem {
  id: string
  endpoint: string
  level: number
  timestamp: string
  /** Parsed JSON when the data is JSON, else the UTF-8 text. */
  data: unknown
  dataHash: string
  poster: string
  txHash: string
}

/** Lists anomalies, optionally for one endpoint and a [from, to] window on their timestamps. */
export async function runAnomalyList(
  o: ChainCommandOptions,
  filter: { endpoint?: string; from?: string; to?: string } = {},
): Promise<AnomalyListItem[]> {
  if (filter.endpoint !== undefined) validateText(filter.endpoint, 'endpoint name')
  const from = filter.from ? parseIsoSeconds(filter.from, '--from') : undefined
  const to = filter.to ? parseIsoSeconds(filter.to, '--to') : undefined
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const items = await listAnomalies(conn.publicClient, {
    anomalyStore: deployment.contracts.anomalyStore,
    deployBlock: BigInt(deployment.deployBlock),
    endpoint: filter.endpoint,
    from,
    to,
    rpcUrl: conn.rpcUrl,
  })
  return items.map((a) => {
    const text = new TextDecoder().decode(a.data)
    let data: unknown = text
    try {
      data = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return {
      id: a.id.toString(),
      endpoint: a.endpoint,
      level: a.level,
      timestamp: new Date(Number(a.collectedAt) * 1000).toISOString(),
      data,
      dataHash: a.dataHash,
      poster: a.poster,
      txHash: a.txHash,
    }
  })
}
