/** A pending wait for SIGINT/SIGTERM; cancel() drops it (e.g. when startup failed). */
export interface SignalWait extends Promise<NodeJS.Signals> {
  cancel(): void
}

/**
 * Resolves at the first SIGINT or SIGTERM (and removes its handlers), for long-running commands.
 * Holds the event loop open meanwhile: signal handlers do not, and simulated devices unref their
 * sockets and timers, so without it the process would end (exit 13) while "waiting".
 */
export function untilSignal(): SignalWait {
  let cancel = (): void => {}
  const wait = new Promise<NodeJS.Signals>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30)
    const done = (): void => {
      clearInterval(keepAlive)
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
    }
    const on = (sig: NodeJS.Signals): void => {
      done()
      resolve(sig)
    }
    cancel = done
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
  return Object.assign(wait, { cancel: () => cancel() })
}
