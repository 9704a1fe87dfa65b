import { ImportValidationError, provisionClients, validateRows, type ImportReport } from '../../chain/clients/provisionClients.js'
import { createSealingPool } from '../../chain/sealingPool.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import { parseImportFile } from './parseImportFile.js'

export {
  ImportIncompleteError,
  ImportValidationError,
  type ImportReport,
  type ImportRowResult,
  type InvalidRow,
} from '../../chain/clients/provisionClients.js'

export interface ClientImportOptions {
  file: string
  /** Records per transaction at most. Default 120 (DEFAULT_BATCH_RECORDS). */
  batchSize?: number
  printableKeys?: boolean
  /** Called with (rows done, total) as batches are mined or fail. */
  onProgress?: (done: number, total: number) => void
}

/**
 * Imports clients from a CSV or JSON file: every row is validated (and checked against the chain)
 * before anything is sent; then atomic batches go out concurrently and the report says exactly
 * which rows landed.
 */
export async function runClientImport(o: ChainCommandOptions, opts: ClientImportOptions): Promise<ImportReport> {
  const rows = parseImportFile(opts.file)
  // Bad files fail before the chain is even contacted.
  if (rows.length === 0) throw new ImportValidationError([{ row: 0, error: 'the file has no rows' }], 0)
  const { invalid } = validateRows(rows, opts.printableKeys)
  if (invalid.length) throw new ImportValidationError(invalid, rows.length)
  const { deployment, conn, logger } = await openChain(o, { signer: true, deployment: true })
  // Sealing runs in a worker while this loop sends batches and follows their receipts: inline,
  // each chunk stopped the loop for ~0.1 s, and 100,000 rows need ~25 s of sealing in all.
  const sealer = createSealingPool({ workers: 1, logger })
  try {
    return await provisionClients(conn, {
      ...deployment.contracts,
      deployBlock: BigInt(deployment.deployBlock),
      sealingPublicKey: deployment.sealingPublicKey,
      rows,
      batchSize: opts.batchSize,
      printableKeys: opts.printableKeys,
      onProgress: opts.onProgress,
      sealer,
    })
  } finally {
    await sealer.close()
  }
}
