import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { InvalidInputError } from '../../chain/records/validate.js'
import type { ClientInput } from '../../chain/records/clientRecord.js'
import { describeEndpointNameProblem, endpointNameProblem } from '../../lwm2m/endpoint-name.js'

/** One row of an import file, before validation. `row` is 1-based among data rows. */
export interface ImportRow {
  row: number
  /** Line in the file (CSV only). */
  line?: number
  input?: ClientInput
  /** Why the row could not even be read (bad UTF-8, wrong column count...). */
  error?: string
}

const CSV_COLUMNS: Record<string, keyof ClientInput> = {
  endpoint: 'endpoint',
  bootstrap_uri: 'bootstrapUri',
  server_uri: 'serverUri',
  bs_identity: 'bsIdentity',
  bs_key: 'bsKey',
  server_identity: 'serverIdentity',
  server_key: 'serverKey',
}

/** Reads a CSV (header line with CSV_COLUMNS names) or JSON (array of objects) import file. */
export function parseImportFile(path: string): ImportRow[] {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    throw new InvalidInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const isJson = extname(path).toLowerCase() === '.json' || /^\s*[[{]/.test(buf.subarray(0, 64).toString('latin1'))
  const rows = isJson ? parseJson(buf, path) : parseCsv(buf)
  // The one endpoint-name rule, as `client add` applies it (an empty name is reported by validation).
  return rows.map((r) => {
    const name = r.input?.endpoint
    const problem = name ? endpointNameProblem(name) : undefined
    if (problem === undefined) return r
    const { input: _dropped, ...rest } = r
    return { ...rest, error: describeEndpointNameProblem(name, problem) }
  })
}

function parseJson(buf: Buffer, path: string): ImportRow[] {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf)
  } catch {
    throw new InvalidInputError(`${path} is not valid UTF-8`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(`${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (!Array.isArray(data)) throw new InvalidInputError(`${path} must hold a JSON array of clients`)
  return data.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return { row: i + 1, error: 'not an object' }
    const o = item as Record<string, unknown>
    const side = (k: 'bootstrap' | 'server') => (o[k] && typeof o[k] === 'object' ? (o[k] as Record<string, unknown>) : {})
    const pick = (...vals: unknown[]): string | undefined => {
      const v = vals.find((x) => x !== undefined && x !== null && x !== '')
      return v === undefined ? undefined : typeof v === 'string' ? v : String(v)
    }
    return {
      row: i + 1,
      input: {
        endpoint: typeof o.endpoint === 'string' ? o.endpoint : '',
        bootstrapUri: pick(o.bootstrapUri, o.bootstrap_uri, side('bootstrap').uri),
        serverUri: pick(o.serverUri, o.server_uri, side('server').uri),
        bsIdentity: pick(o.bsIdentity, o.bs_identity, side('bootstrap').identity),
        bsKey: pick(o.bsKey, o.bs_key, side('bootstrap').key),
        serverIdentity: pick(o.serverIdentity, o.server_identity, side('server').identity),
        serverKey: pick(o.serverKey, o.server_key, side('server').key),
      },
    }
  })
}

function parseCsv(buf: Buffer): ImportRow[] {
  // Split on bytes first so one line of bad UTF-8 is reported as that row, not the whole file.
  const lines: Buffer[] = []
  let start = 0
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      lines.push(buf.subarray(start, i))
      start = i + 1
    }
  }
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const decode = (b: Buffer): string | undefined => {
    try {
      return decoder.decode(b).replace(/\r$/, '')
    } catch {
      return undefined
    }
  }
  const headerLine = decode(lines[0] ?? Buffer.alloc(0))?.replace(/^\uFEFF/, '')
  if (!headerLine) throw new InvalidInputError('the CSV file needs a header line (endpoint,bootstrap_uri,server_uri,bs_identity,bs_key,server_identity,server_key)')
  const header = splitCsvLine(headerLine).map((h) => h.trim().toLowerCase())
  const unknown = header.filter((h) => !(h in CSV_COLUMNS))
  if (unknown.length) throw new InvalidInputError(`unknown CSV column(s): ${unknown.join(', ')}`)
  if (!header.includes('endpoint')) throw new InvalidInputError('the CSV header must have an "endpoint" column')
  const rows: ImportRow[] = []
  for (let i = 1; i < lines.length; i++) {
    const text = decode(lines[i])
    if (text !== undefined && text.trim() === '') continue
    const row = rows.length + 1
    const line = i + 1
    if (text === undefined) {
      rows.push({ row, line, error: 'not valid UTF-8' })
      continue
    }
    const cells = splitCsvLine(text)
    if (cells.length !== header.length) {
      rows.push({ row, line, error: `expected ${header.length} columns, found ${cells.length}` })
      continue
    }
    const input: ClientInput = { endpoint: '' }
    header.forEach((h, j) => {
      const v = cells[j].trim()
      if (v !== '') (input as unknown as Record<string, string>)[CSV_COLUMNS[h]] = v
    })
    rows.push({ row, line, input })
  }
  return rows
}

/** Splits one CSV line; supports "quoted, fields" with "" escapes. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}
