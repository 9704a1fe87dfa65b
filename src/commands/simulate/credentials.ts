import { readFileSync } from 'node:fs'
import { UsageError } from '../../errors/base.js'
import type { ServerAccount } from '../../simulator/index.js'

/** One simulated device's credentials, keys as bytes. */
export interface SimDeviceSpec {
  endpoint: string
  bootstrap: ServerAccount
  /** Kept for reference; devices always bootstrap (the bootstrap server hands out the server account). */
  server?: ServerAccount
}

/**
 * Reads device credentials from `client add --json` output (one object, or one per line), a
 * `client import --json` report (`{rows: [...]}`, landed rows only), or a JSON array of either.
 */
export function readSimDeviceFile(path: string): SimDeviceSpec[] {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return parseSimDevices(text, path)
}

/** Parses the text of a credentials file (see readSimDeviceFile). */
export function parseSimDevices(text: string, source = 'input'): SimDeviceSpec[] {
  const docs: unknown[] = []
  const trimmed = text.trim()
  if (trimmed === '') throw new UsageError(`${source} holds no devices`)
  try {
    docs.push(JSON.parse(trimmed))
  } catch {
    // Not one document: JSON lines, as `client add --json` appends them.
    const lines = trimmed.split('\n').map((l) => l.trim()).filter((l) => l !== '')
    lines.forEach((line, i) => {
      try {
        docs.push(JSON.parse(line))
      } catch {
        throw new UsageError(`${source}: line ${i + 1} is not JSON`)
      }
    })
  }
  const records: unknown[] = []
  const collect = (d: unknown): void => {
    if (Array.isArray(d)) d.forEach(collect)
    else if (d && typeof d === 'object' && Array.isArray((d as { rows?: unknown }).rows)) {
      for (const r of (d as { rows: { status?: string }[] }).rows) if (r?.status === undefined || r.status === 'landed') records.push(r)
    } else records.push(d)
  }
  docs.forEach(collect)
  const specs = records.map((r, i) => toSpec(r, `${source}: record ${i + 1}`))
  const seen = new Set<string>()
  for (const s of specs) {
    if (seen.has(s.endpoint)) throw new UsageError(`${source}: endpoint "${s.endpoint}" appears twice`)
    seen.add(s.endpoint)
  }
  if (specs.length === 0) throw new UsageError(`${source} holds no devices`)
  return specs
}

function toSpec(r: unknown, where: string): SimDeviceSpec {
  if (!r || typeof r !== 'object') throw new UsageError(`${where} is not an object`)
  const o = r as Record<string, unknown>
  if (typeof o.endpoint !== 'string' || o.endpoint === '') throw new UsageError(`${where} has no endpoint`)
  const bootstrap = account(o.bootstrap, `${where} (${o.endpoint}) bootstrap`)
  if (!bootstrap) throw new UsageError(`${where} (${o.endpoint}) has no bootstrap credentials {uri, identity, key}`)
  const server = account(o.server, `${where} (${o.endpoint}) server`)
  return { endpoint: o.endpoint, bootstrap, ...(server && { server }) }
}

function account(v: unknown, where: string): ServerAccount | undefined {
  if (!v || typeof v !== 'object') return undefined
  const a = v as Record<string, unknown>
  if (typeof a.uri !== 'string' || typeof a.identity !== 'string' || typeof a.key !== 'string') {
    throw new UsageError(`${where} needs uri, identity and key (hex)`)
  }
  const hex = a.key.replace(/^0x/i, '')
  if (hex === '' || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex)) throw new UsageError(`${where} key is not hex`)
  return { uri: a.uri, identity: a.identity, key: Uint8Array.from(Buffer.from(hex, 'hex')) }
}
