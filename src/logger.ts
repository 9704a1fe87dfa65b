import pino, { type Logger, type LoggerOptions } from 'pino'

export type { Logger }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * Paths that must never reach a log line, whatever a caller passes in. Defence in depth: code
 * should not log secrets in the first place.
 */
const REDACT = [
  'key', 'psk', 'password', 'privateKey', 'secret', 'token',
  '*.key', '*.psk', '*.password', '*.privateKey', '*.secret', '*.token',
]

/**
 * Creates the root pino logger. Daemons and commands receive it (never import a global one) and
 * hand `logger.child({ endpoint })` further down. Logs go to stderr so that stdout stays clean for
 * `--json` output.
 */
export function createLogger(level: LogLevel = 'info', options: LoggerOptions = {}): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, ...options },
    pino.destination({ fd: 2, sync: true }),
  )
}

/** A logger that drops everything, for tests and library callers that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
