import type { Command } from 'commander'
import { UsageError } from '../../errors/base.js'
import { createLogger } from '../../logger.js'
import { globalOptions, type GlobalOptions } from '../globals.js'
import type { ChainCommandOptions } from './context.js'

/** Global options of `cmd` plus the chain options every chain command passes down. */
export function chainOptions(cmd: Command): { g: GlobalOptions; o: ChainCommandOptions } {
  const g = globalOptions(cmd)
  return {
    g,
    o: { configDir: g.configDir, rpc: g.rpc, privateKeyFile: g.privateKeyFile, logger: createLogger(g.logLevel) },
  }
}

/** Parses a positive integer option. */
export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, not "${value}"`)
  return n
}
