import { readFileSync } from 'node:fs'
import type { Hex } from 'viem'
import { loadAnomalyIndex } from '../../anomalies/loadAnomalyIndex.js'
import { parseAnomalyRecord, validateAnomalyId, type AnomalyRecord } from '../../anomalies/record.js'
import { verifyRecord, type Verdict } from '../../anomalies/verifyRecord.js'
import { AnomalyNotFoundError } from '../../chain/errors.js'
import { InvalidInputError } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** What `anomaly verify` prints. */
export interface AnomalyVerifyResult {
  id: string
  valid: boolean
  verdict: Verdict
  /** Why it is invalid (empty when valid). */
  problems: string[]
  batchId?: string
  root?: Hex
  leaf?: Hex
  proof?: Hex[]
}

/** Where the record to check comes from: the chain's copy (default), a JSON file, or '-' for stdin. */
export interface AnomalyVerifyOptions {
  record?: string
  /** Stdin text (tests pass it; the CLI reads fd 0). */
  stdin?: string
}

/**
 * Checks anomaly `id` against its batch's on-chain root with AnomalyStore.verifyRecord: the
 * presented copy (--record) or the one the chain's events hold. Unknown id: AnomalyNotFoundError.
 */
export async function runAnomalyVerify(o: ChainCommandOptions, id: string, opts: AnomalyVerifyOptions = {}): Promise<AnomalyVerifyResult> {
  validateAnomalyId(id)
  const presented = opts.record !== undefined ? readRecordText(opts.record, opts.stdin) : undefined
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const index = await loadAnomalyIndex(conn.publicClient, {
    anomalyStore: deployment.contracts.anomalyStore,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (!index.has(id)) throw new AnomalyNotFoundError(id)
  let record: AnomalyRecord
  if (presented === undefined) record = index.record(id)!
  else {
    try {
      record = parseAnomalyRecord(JSON.parse(presented))
    } catch (err) {
      return { id, valid: false, verdict: 'INVALID', problems: [`the presented record is malformed: ${(err as Error).message}`] }
    }
    if (record.id !== id) return { id, valid: false, verdict: 'INVALID', problems: [`the presented record has id ${record.id}`] }
  }
  const v = await verifyRecord(index, record, {
    publicClient: conn.publicClient,
    anomalyStore: deployment.contracts.anomalyStore,
    rpcUrl: conn.rpcUrl,
    requireContract: true,
  })
  const valid = v.verdict === 'VALID'
  return {
    id,
    valid,
    verdict: v.verdict,
    problems: valid ? [] : [`the record does not hash to batch ${v.batchId}'s root`],
    batchId: v.batchId,
    root: v.root,
    leaf: v.leaf,
    proof: v.proof,
  }
}

function readRecordText(source: string, stdin?: string): string {
  try {
    return source === '-' ? stdin ?? readFileSync(0, 'utf8') : readFileSync(source, 'utf8')
  } catch (err) {
    throw new InvalidInputError(`cannot read the record from ${source === '-' ? 'stdin' : source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}
