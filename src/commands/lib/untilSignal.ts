/** A pending wait for SIGINT/SIGTERM; cancel() removes its handlers (after shutdown, or when startup failed). */
export interface SignalWait extends Promise<NodeJS.Signals> {
  cancel(): void
}

/**
 * Resolves at the first SIGINT or SIGTERM, for long-running commands that then stop in order.
 * Holds the event loop open until cancel(): signal handlers do not, and simulated devices unref
 * their sockets and timers, so without it the process would end (exit 13) while waiting for the
 * signal, or in the middle of its own shutdown.
 *
 * The handlers stay installed after the first signal, until cancel(). Two libraries re-raise a
 * signal they see: when-exit (conf → atomically) always does, and ink's signal-exit does when it
 * finds itself the only listener. Removing our handlers during the first dispatch therefore let
 * the re-raised signal kill `lwchain dev` on a terminal (exit 130/143) before the ordered shutdown
 * ran. Later signals are ignored (reported through `onRepeat`), so a re-raised or second Ctrl-C
 * cannot tear the chain down before it saved its state.
 */
export function untilSignal(onRepeat?: (signal: NodeJS.Signals) => void): SignalWait {
  let cancel = (): void => {}
  const wait = new Promise<NodeJS.Signals>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30)
    let received = false
    const on = (sig: NodeJS.Signals): void => {
      if (received) {
        onRepeat?.(sig)
        return
      }
      received = true
      resolve(sig)
    }
    cancel = () => {
      clearInterval(keepAlive)
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
  return Object.assign(wait, { cancel: () => cancel() })
}
