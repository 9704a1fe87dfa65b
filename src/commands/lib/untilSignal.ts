/** A pending wait for SIGINT/SIGTERM; cancel() removes its handlers (after shutdown, or when startup failed). */
export interface SignalWait extends Promise<NodeJS.Signals> {
  cancel(): void
}

/**
 * Resolves at the first SIGINT or SIGTERM, for long-running commands that then stop in order.
 * Holds the event loop open until then: signal handlers do not, and simulated devices unref their
 * sockets and timers, so without it the process would end (exit 13) while "waiting".
 *
 * The handlers stay installed after the first signal, until cancel(). Removing them while the
 * signal is being dispatched is what killed `lwchain dev` on a terminal: ink's signal-exit
 * re-raises a signal when it finds itself the only listener, so the process died with SIGINT
 * before the ordered shutdown could run. Later signals during the shutdown are ignored (reported
 * through `onRepeat`), so a second Ctrl-C cannot tear the chain down before it saved its state.
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
      clearInterval(keepAlive)
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
