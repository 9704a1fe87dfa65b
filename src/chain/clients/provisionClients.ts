import type { Hash } from 'viem'
import type { Address, Hex } from 'viem'
import { LwchainError } from '../../errors/base.js'
import type { ChainConnection } from '../connectChain.js'
import { buildClientSpec, sealClientRecord, type ClientInput, type ClientSpec } from '../records/clientRecord.js'
import { loadViewState } from '../view/loadViewState.js'
import { addClients } from './addClients.js'

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
    super(`${report.failed} of ${report.total} rows did not land (${report.landed} did); see the report`, {
      code: 'LWC_IMPORT_INCOMPLETE',
    })
  }
}

/** Per-row outcome; keys as plain hex (printed once). */
export interface ImportRowResult {
  row: number
  endpoint: string
  status: 'landed' | 'failed'
  txHash?: Hash
  error?: string
  bootstrap: { uri: string; identity: string; key: string }
  server: { uri: string; identity: string; key: string }
}

export interface ImportReport {
  total: number
  landed: number
  failed: number
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
  /** Records per transaction. Default 50 (about 5.6 M gas). */
  batchSize?: number
  printableKeys?: boolean
  /** Called with (rows done, total) as batches are mined or fail. */
  onProgress?: (done: number, total: number) => void
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
  for (const { row, line, spec } of specs) {
    if (state.clientByEndpoint(spec.endpoint)) {
      taken.push({ row, line, endpoint: spec.endpoint, error: `client "${spec.endpoint}" already exists` })
      continue
    }
    for (const id of [spec.bootstrap.identity, spec.server.identity]) {
      const owner = state.endpointOfIdentity(id)
      if (owner !== undefined && owner !== spec.endpoint) {
        taken.push({ row, line, endpoint: spec.endpoint, error: `PSK identity "${id}" is already used by another client` })
        break
      }
    }
  }
  if (taken.length) throw new ImportValidationError(taken, rows.length)

  const started = Date.now()
  const records = specs.map((s) => sealClientRecord(s.spec, p.sealingPublicKey))
  let done = 0
  p.onProgress?.(0, records.length)
  const batches = await addClients(conn, {
    clientStore: p.clientStore,
    records,
    batchSize: p.batchSize,
    onBatch: (b) => {
      done += b.count
      p.onProgress?.(done, records.length)
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
  for (const b of batches) {
    for (let i = b.start; i < b.start + b.count; i++) {
      results[i].status = b.status
      if (b.txHash) results[i].txHash = b.txHash
      if (b.error) results[i].error = b.error.shortMessage
    }
  }
  const landed = results.filter((r) => r.status === 'landed').length
  return {
    total: results.length,
    landed,
    failed: results.length - landed,
    batches: batches.length,
    elapsedMs: Date.now() - started,
    rows: results,
  }
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
