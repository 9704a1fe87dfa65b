import { join } from 'node:path'
import { startEmbeddedChain, type EmbeddedChain } from '../../chain/anvil.js'
import { resolveConfigDir } from '../../chain/profile.js'
import { UsageError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'

export interface ChainStartOptions {
  port?: string | number
  host?: string
  /** Default: `<config dir>/chain`. */
  dataDir?: string
  configDir?: string
  logger?: Logger
}

/** Parses a TCP port option (0-65535). */
export function parsePort(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`invalid port "${value}" (expected 0-65535)`)
  return n
}

/** Starts the embedded chain (anvil) with its state in the data dir; the caller stops it. */
export async function runChainStart(o: ChainStartOptions): Promise<EmbeddedChain> {
  const dataDir = o.dataDir ?? join(resolveConfigDir(o.configDir), 'chain')
  return startEmbeddedChain({ port: parsePort(o.port, 8545), host: o.host ?? '127.0.0.1', dataDir, logger: o.logger })
}
