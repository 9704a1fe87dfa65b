/**
 * The ordered shutdown of a composition root (serve server, serve bootstrap): each step in turn,
 * each bounded by a timeout, each failure logged and the next step still run, so that one stuck
 * or failing part can neither hang the process nor skip the parts after it (a ledger that never
 * flushes because the HTTP close hung, a chain view left polling). The caller learns at the end
 * whether every step stopped cleanly, and exits 1 if not.
 */
import { LwchainError } from '../../errors/base.js'
import type { Logger } from '../../logger.js'

/** One part to stop; `stop` may be absent (the part was never started). */
export interface StopStep {
  readonly name: string
  readonly stop: (() => Promise<unknown> | unknown) | undefined
}

export interface StopInOrderOptions {
  logger: Logger
  /** Longest a single step may take; default 10 s. */
  stepTimeoutMs?: number
}

/** Some parts did not stop cleanly (each one is already logged). */
export class ShutdownError extends LwchainError {
  override name = 'ShutdownError'
  /** The steps that failed or timed out, in order. */
  readonly failed: readonly string[]
  constructor(failed: readonly string[], cause: unknown) {
    super(`shutdown incomplete: ${failed.join(', ')} did not stop cleanly`, { code: 'LWC_SHUTDOWN', cause })
    this.failed = failed
  }
}

/** A step that did not finish within its bound. */
export class StopTimeoutError extends LwchainError {
  override name = 'StopTimeoutError'
  constructor(step: string, ms: number) {
    super(`${step} did not stop within ${ms} ms`, { code: 'LWC_STOP_TIMEOUT' })
  }
}

/** Runs the steps in order, each bounded; rejects with ShutdownError after all ran if any failed. */
export async function stopInOrder(steps: readonly StopStep[], o: StopInOrderOptions): Promise<void> {
  const timeoutMs = o.stepTimeoutMs ?? 10_000
  const failed: string[] = []
  let firstError: unknown
  for (const step of steps) {
    if (step.stop === undefined) continue
    const started = Date.now()
    try {
      await bounded(step.name, step.stop, timeoutMs)
      o.logger.debug({ step: step.name, ms: Date.now() - started }, 'stopped')
    } catch (err) {
      failed.push(step.name)
      firstError ??= err
      o.logger.error({ step: step.name, err }, `${step.name} did not stop cleanly`)
    }
  }
  if (failed.length > 0) throw new ShutdownError(failed, firstError)
}

// A timer of our own rather than AbortSignal.timeout: the stop functions take no signal, and a
// cleared timer does not keep a finished shutdown waiting for the bound to pass.
async function bounded(name: string, stop: () => Promise<unknown> | unknown, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StopTimeoutError(name, ms)), ms)
  })
  try {
    await Promise.race([Promise.resolve().then(stop), timeout])
  } finally {
    clearTimeout(timer)
  }
}
