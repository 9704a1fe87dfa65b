/**
 * One error base for the whole project, after viem's BaseError: a stable `code`, a one-line
 * `shortMessage` fit for a terminal, optional `details`, and the `cause` chain.
 *
 * Codes are stable strings (`LWC_*`) so scripts and tests can rely on them; `exitCode` tells the
 * CLI how to exit (1 = failure, 2 = usage error).
 */
export type ErrorKind = 'failure' | 'usage'

export interface LwchainErrorOptions {
  code: string
  kind?: ErrorKind
  details?: string
  cause?: unknown
}

/** Base class of every error lwchain raises on purpose. */
export class LwchainError extends Error {
  override name = 'LwchainError'
  readonly code: string
  readonly kind: ErrorKind
  readonly shortMessage: string
  readonly details?: string

  constructor(shortMessage: string, options: LwchainErrorOptions) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    })
    this.shortMessage = shortMessage
    this.code = options.code
    this.kind = options.kind ?? 'failure'
    this.details = options.details
  }

  /** Exit status for the CLI: 2 for usage errors, 1 for everything else. */
  get exitCode(): 1 | 2 {
    return this.kind === 'usage' ? 2 : 1
  }

  /** Walks the cause chain; returns the first error matching `fn`, or the deepest one. */
  walk(fn?: (err: unknown) => boolean): unknown {
    return walk(this, fn)
  }
}

/** A bad argument or option given by the user (exit code 2). */
export class UsageError extends LwchainError {
  override name = 'UsageError'
  constructor(shortMessage: string, options: { details?: string; cause?: unknown } = {}) {
    super(shortMessage, { code: 'LWC_USAGE', kind: 'usage', ...options })
  }
}

function walk(err: unknown, fn?: (err: unknown) => boolean): unknown {
  if (fn?.(err)) return err
  const cause = (err as { cause?: unknown } | undefined)?.cause
  if (cause !== undefined && cause !== null) return walk(cause, fn)
  return fn ? null : err
}

/** Strips user:password and query-string credentials from a URL before it goes into a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username || u.password) {
      u.username = u.username ? '***' : ''
      u.password = u.password ? '***' : ''
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/key|token|secret|pass/i.test(key)) u.searchParams.set(key, '***')
    }
    return u.toString()
  } catch {
    return url
  }
}
