import { ImportValidationError, provisionClients, validateRows, type ImportReport } from '../../chain/clients/provisionClients.js'
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
  /** Records per transaction. Default 50. */
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
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  return provisionClients(conn, {
    ...deployment.contracts,
    deployBlock: BigInt(deployment.deployBlock),
    sealingPublicKey: deployment.sealingPublicKey,
    rows,
    batchSize: opts.batchSize,
    printableKeys: opts.printableKeys,
    onProgress: opts.onProgress,
  })
}
