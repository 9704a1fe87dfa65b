import type { Command } from 'commander'
import { LwchainError, UsageError } from '../../errors/base.js'
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

/**
 * Runs the validation of a command's arguments and options: an input error it throws is a usage
 * error (exit 2), as DESIGN.md's contract says. Call it before any I/O, so a bad argument is
 * reported as such and not as whatever failed first (a missing deployment, an unreachable chain).
 */
export function asUsage<T>(validate: () => T): T {
  try {
    return validate()
  } catch (err) {
    if (err instanceof LwchainError && err.kind === 'failure' && err.code === 'LWC_INVALID_INPUT') {
      // Same stable code, usage kind: scripts keep matching LWC_INVALID_INPUT.
      throw new LwchainError(err.shortMessage, { code: err.code, kind: 'usage', details: err.details, cause: err })
    }
    throw err
  }
}
