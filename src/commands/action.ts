import type { Command } from 'commander'
import { LwchainError } from '../errors/base.js'

/**
 * Wraps a command handler: runs it, and turns any error into one line on stderr and the exit code
 * of DESIGN.md's contract (1 failure, 2 usage). Stack traces only with LWCHAIN_DEBUG=1.
 */
export function action<A extends unknown[]>(
  handler: (...args: [...A, Command]) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    try {
      await handler(...(args as [...A, Command]))
    } catch (err) {
      reportError(err)
    }
  }
}

/** Prints one clear line for an error and sets the process exit code. */
export function reportError(err: unknown): void {
  if (process.env.LWCHAIN_DEBUG === '1') console.error(err)
  if (err instanceof LwchainError) {
    console.error(`error: ${err.shortMessage}`)
    process.exitCode = err.exitCode
    return
  }
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  console.error(`error: ${message}`)
  process.exitCode = 1
}
