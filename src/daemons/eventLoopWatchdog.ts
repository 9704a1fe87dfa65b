import type { Logger } from '../logger.js'

export interface EventLoopWatchdogOptions {
  logger: Logger
  /** A stall at least this long is reported. Default 250 ms. */
  thresholdMs?: number
  /** How often the loop is probed. Default 100 ms. */
  intervalMs?: number
}

export interface EventLoopWatchdog {
  /** The longest stall seen, and how many were reported. */
  stats(): { longestMs: number; reported: number }
  stop(): void
}

/**
 * Reports a blocked event loop: a timer that should fire every `intervalMs` measures how late it
 * ran; a lateness over `thresholdMs` means something held the loop that long (a synchronous
 * snapshot write, heavy crypto, a native deadlock once it resolves) and is logged with its
 * duration. DTLS handshakes and CoAP retransmissions time out meanwhile, so it must be seen.
 * The timer is unref'd: it never keeps a process alive.
 */
export function startEventLoopWatchdog(o: EventLoopWatchdogOptions): EventLoopWatchdog {
  const thresholdMs = o.thresholdMs ?? 250
  const intervalMs = o.intervalMs ?? 100
  let longestMs = 0
  let reported = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    const blockedMs = Math.round(now - last - intervalMs)
    last = now
    if (blockedMs > longestMs) longestMs = blockedMs
    if (blockedMs >= thresholdMs) {
      reported++
      o.logger.warn({ blockedMs }, `event loop blocked for ${blockedMs} ms`)
    }
  }, intervalMs)
  timer.unref?.()
  return {
    stats: () => ({ longestMs, reported }),
    stop: () => clearInterval(timer),
  }
}
