import { verifyAnomaly } from '../../chain/anomalies/verifyAnomaly.js'
import { InvalidInputError } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** Checks anomaly `id` against the chain; `valid` false means its event and stored hashes disagree. */
export async function runAnomalyVerify(o: ChainCommandOptions, id: string): Promise<{ id: string; valid: boolean; problems: string[] }> {
  if (!/^[1-9][0-9]{0,76}$/.test(id)) throw new InvalidInputError(`anomaly id must be a positive integer, not "${id}"`)
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const r = await verifyAnomaly(conn.publicClient, {
    anomalyStore: deployment.contracts.anomalyStore,
    id: BigInt(id),
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  return { id, valid: r.valid, problems: r.problems }
}
