import type { Command } from 'commander'
import { LOG_LEVELS, type LogLevel } from '../logger.js'
import { UsageError, redactUrl } from '../errors/base.js'
import { isRpcUrl } from '../chain/connectChain.js'

/** Options every command accepts (DESIGN.md's command-line contract). */
export interface GlobalOptions {
  json: boolean
  configDir?: string
  rpc?: string
  privateKeyFile?: string
  logLevel: LogLevel
}

/** Reads the global options of a command, with the environment as fallback. */
export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>
  const logLevel = String(o.logLevel ?? process.env.LWCHAIN_LOG_LEVEL ?? 'warn') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new UsageError(`unknown log level "${logLevel}" (expected one of ${LOG_LEVELS.join(', ')})`)
  }
  const rpc = (o.rpc as string | undefined) ?? process.env.LWCHAIN_RPC_URL
  // Checked here, before any command reads its profile, so a bad URL is a usage error (exit 2).
  if (rpc !== undefined && !isRpcUrl(rpc)) {
    throw new UsageError(`invalid RPC URL "${redactUrl(rpc)}" (expected http:// or https://)`)
  }
  return {
    json: Boolean(o.json),
    configDir: (o.configDir as string | undefined) ?? process.env.LWCHAIN_CONFIG_DIR,
    rpc,
    privateKeyFile: o.privateKeyFile as string | undefined,
    logLevel,
  }
}
