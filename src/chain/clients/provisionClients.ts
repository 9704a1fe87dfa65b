import type { Hash } from 'viem'
import type { Address, Hex } from 'viem'
import { LwchainError } from '../../errors/base.js'
import type { ChainConnection } from '../connectChain.js'
import { buildClientSpec, sealClientRecords, type ClientInput, type ClientSpec } from '../records/clientRecord.js'
import { inlineSealer, type Sealer } from '../records/sealValue.js'
import { loadViewState } from '../view/loadViewState.js'
import type { FeePolicy } from '../fees.js'
import { addClients, cutBatches, DEFAULT_BATCH_RECORDS, type BatchSource, type RecordBatch } from './addClients.js'

/** A row that failed validation. */
export interface InvalidRow {
  row: number
  line?: number
  endpoint?: string
  error: string
}

/** Some rows are invalid; nothing was sent. Carries every bad row for the report. */
export class ImportValidationError extends LwchainError {
  override name = 'ImportValidationError'
  constructor(
    readonly invalid: InvalidRow[],
    readonly total: number,
  ) {
    const shown = invalid.slice(0, 3).map((r) => `row ${r.row}${r.line ? ` (line ${r.line})` : ''}: ${r.error}`)
    const more = invalid.length > 3 ? `; and ${invalid.length - 3} more` : ''
    super(`${invalid.length} of ${total} rows are invalid, nothing was sent: ${shown.join('; ')}${more}`, {
      code: 'LWC_IMPORT_INVALID',
    })
  }
}

/** Some batches did not land; the report says which rows did. */
export class ImportIncompleteError extends LwchainError {
  override name = 'ImportIncompleteError'
  constructor(readonly report: ImportReport) {
    // The first reason, so the one error line says why (e.g. the signer has no funds).
    const why = report.rows.find((r) => r.status === 'failed' && r.error)?.error
    super(`${report.failed} of ${report.total} rows did not land (${report.landed} did)${why ? `: ${why}` : ''}; see the report`, {
      code: 'LWC_IMPORT_INCOMPLETE',
    })
  }
}

/** Per-row outcome; keys as plain hex (printed once). */
export interface ImportRowResult {
  row: number
  endpoint: string
  status: 'landed' | 'failed'
  /**
   * Already on chain before this run, as the row describes it (a re-run after a crash or a
   * failure): nothing was sent for it. Its keys are the ones on chain only if the row gave them.
   */
  already?: boolean
  txHash?: Hash
  error?: string
  bootstrap: { uri: string; identity: string; key: string }
  server: { uri: string; identity: string; key: string }
}

export interface ImportReport {
  total: number
  landed: number
  failed: number
  /** Of the landed rows, those already on chain before this run (nothing sent for them). */
  already: number
  batches: number
  elapsedMs: number
  rows: ImportRowResult[]
}

/** One input row: its number in the source (1-based), optional file line, and the input. */
export interface ProvisionRow {
  row: number
  line?: number
  input?: ClientInput
  /** Set when the row could not be read at all; it is reported as invalid. */
  error?: string
}

export interface ProvisionClientsParameters {
  clientStore: Address
  userStore: Address
  deployBlock: bigint
  sealingPublicKey: Hex
  rows: ProvisionRow[]
  /** Records per transaction at most. Default DEFAULT_BATCH_RECORDS (120, about 13.5 M gas); a batch also stays under MAX_BATCH_BYTES. */
  batchSize?: number
  printableKeys?: boolean
  /** Called with (rows done, total) as batches are mined or fail. */
  onProgress?: (done: number, total: number) => void
  fees?: Partial<FeePolicy>
  /** Who seals the keys: the server daemon's pool (off its event loop); default this thread (`client import`). */
  sealer?: Sealer
}

/**
 * Provisions many clients: validates every row (and checks the chain for endpoints and
 * identities already taken) before sending anything, then sends atomic batches concurrently and
 * reports exactly which rows landed. Throws ImportValidationError (nothing sent) for bad rows.
 */
export async function provisionClients(conn: ChainConnection, p: ProvisionClientsParameters): Promise<ImportReport> {
  const rows = p.rows
  if (rows.length === 0) throw new ImportValidationError([{ row: 0, error: 'there are no rows' }], 0)
  const { specs, invalid } = validateRows(rows, p.printableKeys)
  if (invalid.length) throw new ImportValidationError(invalid, rows.length)

  const state = await loadViewState(conn.publicClient, {
    clientStore: p.clientStore,
    userStore: p.userStore,
    deployBlock: p.deployBlock,
    rpcUrl: conn.rpcUrl,
  })
  const taken: InvalidRow[] = []
  // Rows already on chain as they describe it (a re-run): reported as landed, never sent again.
  const already = new Map<number, { identities: [string, string]; keysGiven: [boolean, boolean] }>()
  const inputOf = new Map(rows.map((r) => [r.row, r.input]))
  specs.forEach(({ row, line, spec }, i) => {
    const existing = state.clientByEndpoint(spec.endpoint)
    if (existing) {
      const input = inputOf.get(row)
      if (input && sameAsOnChain(input, spec, existing)) {
        already.set(i, { identities: [existing.bootstrap.identity, existing.server.identity], keysGiven: [input.bsKey !== undefined, input.serverKey !== undefined] })
      }
      else taken.push({ row, line, endpoint: spec.endpoint, error: `client "${spec.endpoint}" already exists${input?.bsIdentity !== undefined || input?.serverIdentity !== undefined ? ' with other credentials' : ''}` })
      return
    }
    for (const id of [spec.bootstrap.identity, spec.server.identity]) {
      const owner = state.endpointOfIdentity(id)
      if (owner !== undefined && owner !== spec.endpoint) {
        taken.push({ row, line, endpoint: spec.endpoint, error: `PSK identity "${id}" is already used by another client` })
        break
      }
    }
  })
  if (taken.length) throw new ImportValidationError(taken, rows.length)

  const started = Date.now()
  const toSend = specs.map((s, i) => ({ s, i })).filter(({ i }) => !already.has(i))
  let done = already.size
  p.onProgress?.(done, specs.length)
  const batchSize = Math.max(1, p.batchSize ?? DEFAULT_BATCH_RECORDS)
  const batches = toSend.length === 0 ? [] : await addClients(conn, {
    clientStore: p.clientStore,
    source: sealingSource(toSend.map(({ s }) => s.spec), { sealingPublicKey: p.sealingPublicKey, sealer: p.sealer ?? inlineSealer, batchSize }),
    batchSize,
    fees: p.fees,
    onBatch: (b) => {
      done += b.count
      p.onProgress?.(done, specs.length)
    },
  })
  const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex')
  const results: ImportRowResult[] = specs.map(({ row, spec }) => ({
    row,
    endpoint: spec.endpoint,
    status: 'failed',
    bootstrap: { uri: spec.bootstrap.uri, identity: spec.bootstrap.identity, key: hex(spec.bootstrap.key) },
    server: { uri: spec.server.uri, identity: spec.server.identity, key: hex(spec.server.key) },
  }))
  for (const [i, a] of already) {
    const r = results[i]
    r.status = 'landed'
    r.already = true
    // What the chain holds: its identities; keys only where the row gave them (others were
    // generated by the run that sent them, and are on chain sealed).
    r.bootstrap = { ...r.bootstrap, identity: a.identities[0], key: a.keysGiven[0] ? r.bootstrap.key : '' }
    r.server = { ...r.server, identity: a.identities[1], key: a.keysGiven[1] ? r.server.key : '' }
  }
  for (const b of batches) {
    for (let k = b.start; k < b.start + b.count; k++) {
      const r = results[toSend[k].i]
      r.status = b.status
      if (b.txHash) r.txHash = b.txHash
      if (b.error) r.error = b.error.shortMessage
    }
  }
  const landed = results.filter((r) => r.status === 'landed').length
  return {
    total: results.length,
    landed,
    failed: results.length - landed,
    already: already.size,
    batches: batches.length,
    elapsedMs: Date.now() - started,
    rows: results,
  }
}

/** Rows sealed per step of sealingSource: a few batches, so sealing runs just ahead of the sends. */
const SEAL_CHUNK_BATCHES = 4

/**
 * Batches of `specs`, sealed a chunk at a time, one chunk ahead of the one being sent: sealing
 * 100,000 rows takes ~25 s of one core, and sealed all up front it came before the first send.
 * Chunk by chunk it runs while earlier batches are mined.
 */
function sealingSource(specs: ClientSpec[], o: { sealingPublicKey: Hex; sealer: Sealer; batchSize: number }): BatchSource {
  const chunkRows = o.batchSize * SEAL_CHUNK_BATCHES
  const sealChunk = (from: number): Promise<RecordBatch[]> =>
    sealClientRecords(specs.slice(from, from + chunkRows), o.sealingPublicKey, o.sealer).then((records) => cutBatches(records, o.batchSize, from))
  let from = 0
  let ready: RecordBatch[] = []
  const startNext = (): Promise<RecordBatch[]> | undefined => {
    if (from >= specs.length) return undefined
    const chunk = sealChunk(from)
    // Handled when it is awaited; this keeps an early failure from being unhandled meanwhile.
    chunk.catch(() => undefined)
    from += chunkRows
    return chunk
  }
  let ahead = startNext()
  return {
    async next() {
      if (ready.length === 0) {
        if (!ahead) return undefined
        ready = await ahead
        ahead = startNext()
      }
      return ready.shift()
    },
  }
}

/**
 * Whether the chain's client is the one the row describes (a re-run): the row must pin at least
 * one PSK identity, and its URIs and given identities must match. A row naming only an endpoint
 * cannot tell a re-run from a name clash, so it stays a clash ("already exists").
 */
function sameAsOnChain(input: ClientInput, spec: ClientSpec, existing: { bootstrap: { uri: string; identity: string }; server: { uri: string; identity: string } }): boolean {
  if (input.bsIdentity === undefined && input.serverIdentity === undefined) return false
  return (
    existing.bootstrap.uri === spec.bootstrap.uri &&
    existing.server.uri === spec.server.uri &&
    (input.bsIdentity === undefined || existing.bootstrap.identity === spec.bootstrap.identity) &&
    (input.serverIdentity === undefined || existing.server.identity === spec.server.identity)
  )
}

/** Checks rows offline (shape, values, duplicates within the input); generates missing credentials. */
export function validateRows(rows: ProvisionRow[], printableKeys?: boolean): { specs: { row: number; line?: number; spec: ClientSpec }[]; invalid: InvalidRow[] } {
  const invalid: InvalidRow[] = []
  const specs: { row: number; line?: number; spec: ClientSpec }[] = []
  const endpoints = new Map<string, number>()
  const identities = new Map<string, { row: number; endpoint: string }>()
  for (const r of rows) {
    if (r.error || !r.input) {
      invalid.push({ row: r.row, line: r.line, error: r.error ?? 'unreadable row' })
      continue
    }
    let spec: ClientSpec
    try {
      spec = buildClientSpec({ ...r.input, printableKeys }).spec
    } catch (err) {
      invalid.push({ row: r.row, line: r.line, endpoint: r.input.endpoint, error: err instanceof LwchainError ? err.shortMessage : String(err) })
      continue
    }
    const dup = endpoints.get(spec.endpoint)
    if (dup !== undefined) {
      invalid.push({ row: r.row, line: r.line, endpoint: spec.endpoint, error: `duplicate endpoint "${spec.endpoint}" (also row ${dup})` })
      continue
    }
    let clash: string | undefined
    for (const id of new Set([spec.bootstrap.identity, spec.server.identity])) {
      const other = identities.get(id)
      if (other && other.endpoint !== spec.endpoint) clash = `PSK identity "${id}" is also used by row ${other.row}`
    }
    if (clash) {
      invalid.push({ row: r.row, line: r.line, endpoint: spec.endpoint, error: clash })
      continue
    }
    endpoints.set(spec.endpoint, r.row)
    for (const id of [spec.bootstrap.identity, spec.server.identity]) identities.set(id, { row: r.row, endpoint: spec.endpoint })
    specs.push({ row: r.row, line: r.line, spec })
  }
  return { specs, invalid }
}
