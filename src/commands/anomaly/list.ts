import { parseLimit, type ListPage } from '../../anomalies/anomalyIndex.js'
import { loadAnomalyIndex } from '../../anomalies/loadAnomalyIndex.js'
import { validateText } from '../../chain/records/validate.js'
import { asUsage } from '../lib/commandOptions.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import { parseIsoSeconds } from './post.js'

export type { AnomalyItem as AnomalyListItem } from '../../anomalies/anomalyIndex.js'

/** Filters of `anomaly list`: times ISO 8601 (inclusive), a page size and the previous page's `next`. */
export interface AnomalyListFilter {
  endpoint?: string
  from?: string
  to?: string
  limit?: string | number
  cursor?: string
}

/** Lists anchored anomalies from the chain's BatchAnchored events, a page at a time ({items, next}). */
export async function runAnomalyList(o: ChainCommandOptions, filter: AnomalyListFilter = {}): Promise<ListPage> {
  asUsage(() => {
    if (filter.endpoint !== undefined) validateText(filter.endpoint, 'endpoint name')
    if (filter.from) parseIsoSeconds(filter.from, '--from')
    if (filter.to) parseIsoSeconds(filter.to, '--to')
    if (filter.limit !== undefined) parseLimit(filter.limit)
  })
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const index = await loadAnomalyIndex(conn.publicClient, {
    anomalyStore: deployment.contracts.anomalyStore,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  return index.list({ endpoint: filter.endpoint, from: filter.from, to: filter.to, limit: filter.limit, cursor: filter.cursor })
}
