import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { LwchainError } from '../errors/base.js'
import type { Logger } from '../logger.js'
import { InvalidSealingKeyError, UnsealError } from './sealing.js'
import type { OpenJob, SealJob, WireError, WorkerReply } from './sealingProtocol.js'

/**
 * A small pool of worker threads that seal and open (sealing.ts) off the caller's event loop.
 *
 * Why: one seal costs ~0.3-0.8 ms of CPU and one open ~0.1-0.2 ms, all synchronous node:crypto.
 * A daemon's admin import seals thousands of values and a chain view opens two per client at a
 * cold start (200,000 at 100k clients): seconds of a blocked loop, with DTLS handshakes, HTTP and
 * SSE frozen meanwhile. Here the same code runs in workers, and the loop only posts messages.
 *
 * Scheduling: every call is cut into jobs of at most `batchSize` items (one message each, so the
 * per-message cost, ~0.05 ms, is spread thin), and idle workers take the next job of the calls
 * in turn (round-robin), so a 2-value seal of an admin request waits for at most one job per
 * worker of a 200,000-value cold start, not for all of it.
 *
 * Not piscina or tinypool: those schedule one task per message, while this pool's point is the
 * round-robin of batched jobs above, and their worker files would need the same tsx/dist/packed
 * resolution this file does (`workerEntry`) anyway.
 *
 * Workers start on first use, are unref'd while idle (an idle pool never keeps a process alive)
 * and ref'd while they hold a job (a CLI awaiting a result is not cut short); close() ends them.
 */

/** One value to seal to `publicKey`, bound to `context`. */
export interface SealItem {
  publicKey: Uint8Array
  plaintext: Uint8Array
  context: string
}

/** One sealed value to open, bound to `context`. */
export interface OpenItem {
  sealed: Uint8Array
  context: string
}

/**
 * What one item of openMany gave: its value and the index of the key that opened it, or why none
 * did (UnsealError or InvalidSealingKeyError, as open() throws them; SealingWorkerError for anything else).
 */
export type OpenOutcome = { value: Uint8Array; key: number } | { error: UnsealError | InvalidSealingKeyError | SealingWorkerError }

/** Sealing and opening that run elsewhere than the caller's event loop. */
export interface SealingPool {
  /** Seals one value (see sealing.ts seal()); rejects with InvalidSealingKeyError for a bad key. */
  seal(publicKey: Uint8Array, plaintext: Uint8Array, context: string): Promise<Uint8Array>
  /** Seals many values, results in order; rejects (nothing returned) if any key is invalid. */
  sealMany(items: SealItem[]): Promise<Uint8Array[]>
  /** Opens one value; rejects with UnsealError (LWC_UNSEAL) or InvalidSealingKeyError. */
  open(privateKey: Uint8Array, sealed: Uint8Array, context: string): Promise<Uint8Array>
  /**
   * Opens many values, trying `keys` in order for each (a key ring during a rotation); never
   * rejects for one bad value: each outcome says what opened it, or its typed error.
   */
  openMany(keys: Uint8Array | Uint8Array[], items: OpenItem[]): Promise<OpenOutcome[]>
  /** Number of worker threads. */
  readonly size: number
  /** Rejects queued and running work with SealingPoolClosedError and ends the workers. */
  close(): Promise<void>
}

export interface SealingPoolOptions {
  /** Worker threads. Default: min(2, availableParallelism() - 1), at least 1 (see defaultPoolSize). */
  workers?: number
  /** Items per message to a worker. Default 256 (~25-100 ms of work: bounds how long a small call waits). */
  batchSize?: number
  logger?: Logger
}

/** The pool was closed (the daemon is shutting down) before this work was done. */
export class SealingPoolClosedError extends LwchainError {
  override name = 'SealingPoolClosedError'
  constructor() {
    super('the sealing pool is closed (shutting down): the seal or open was not done', { code: 'LWC_SEALING_POOL_CLOSED' })
  }
}

/** A worker thread died (or failed to start) while it held this work. */
export class SealingWorkerError extends LwchainError {
  override name = 'SealingWorkerError'
  constructor(reason: string, cause?: unknown) {
    super(`a sealing worker failed: ${reason}`, { code: 'LWC_SEALING_WORKER_FAILED', cause })
  }
}

/**
 * Default worker count: one core is left to the event loop (DTLS, HTTP, the chain view), so on
 * the 2-core machines lwchain targets the pool never takes both; more than 2 workers would only
 * help bulk work the daemon does rarely (a cold start), at the cost of threads and memory.
 */
export function defaultPoolSize(cores = availableParallelism()): number {
  return Math.max(1, Math.min(2, cores - 1))
}

/** Rebuilds the typed error a worker reported. */
export function errorFromWire(e: WireError): UnsealError | InvalidSealingKeyError | SealingWorkerError {
  // The worker sends shortMessage; the constructors prefix their own text, so set it back as it was.
  const typed = e.code === 'LWC_UNSEAL' ? new UnsealError('') : e.code === 'LWC_SEALING_KEY_INVALID' ? new InvalidSealingKeyError('') : new SealingWorkerError(e.message)
  if (typed instanceof SealingWorkerError) return typed
  Object.defineProperty(typed, 'shortMessage', { value: e.message })
  typed.message = e.message
  return typed
}

type Chunk = { op: 'seal'; items: SealJob['items'] } | { op: 'open'; keys: Uint8Array[]; items: OpenJob['items'] }

interface Call {
  chunks: Chunk[]
  /** Next chunk not yet given to a worker. */
  next: number
  /** Chunks not answered yet. */
  pending: number
  results: unknown[][]
  resolve(results: unknown[]): void
  reject(err: unknown): void
  done: boolean
}

interface Slot {
  worker: Worker
  job?: { id: number; call: Call; index: number }
}

/** Creates a pool (workers start on first use). */
export function createSealingPool(options: SealingPoolOptions = {}): SealingPool {
  const size = Math.max(1, Math.floor(options.workers ?? defaultPoolSize()))
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 256))
  const logger = options.logger
  const slots: Slot[] = []
  const calls: Call[] = []
  let turn = 0
  let nextId = 1
  let closed = false

  const finish = (call: Call, err?: unknown): void => {
    if (call.done) return
    call.done = true
    const i = calls.indexOf(call)
    if (i >= 0) calls.splice(i, 1)
    if (err !== undefined) call.reject(err)
    else call.resolve(call.results.flat())
  }

  const spawn = (): Slot => {
    const entry = workerEntry()
    const slot: Slot = { worker: new Worker(entry.url, { eval: entry.eval }) }
    slot.worker.unref()
    slot.worker.on('message', (reply: WorkerReply) => onReply(slot, reply))
    slot.worker.on('error', (err) => onDeath(slot, new SealingWorkerError(err.message, err)))
    slot.worker.on('exit', (code) => onDeath(slot, new SealingWorkerError(`exited with code ${code}`)))
    return slot
  }

  const onDeath = (slot: Slot, err: SealingWorkerError): void => {
    const i = slots.indexOf(slot)
    if (i < 0) return
    slots.splice(i, 1)
    if (closed) return
    logger?.warn({ err: err.shortMessage }, 'a sealing worker died; its work fails, a new worker takes the rest')
    if (slot.job) finish(slot.job.call, err)
    dispatch()
  }

  const onReply = (slot: Slot, reply: WorkerReply): void => {
    const job = slot.job
    if (!job || job.id !== reply.id) return
    slot.job = undefined
    slot.worker.unref()
    const { call, index } = job
    if (!reply.ok) finish(call, errorFromWire(reply.error))
    else if (!call.done) {
      call.results[index] =
        reply.op === 'seal'
          ? reply.results
          : reply.results.map((r) => ('error' in r ? { error: errorFromWire(r.error) } : r))
      if (--call.pending === 0) finish(call)
    }
    dispatch()
  }

  /** The next chunk to run, taking the calls in turn. */
  const take = (): { call: Call; index: number } | undefined => {
    for (let n = 0; n < calls.length; n++) {
      const call = calls[(turn + n) % calls.length]
      if (call.next < call.chunks.length) {
        turn = (turn + n + 1) % Math.max(1, calls.length)
        return { call, index: call.next++ }
      }
    }
    return undefined
  }

  const dispatch = (): void => {
    if (closed) return
    while (slots.length < size && calls.some((c) => c.next < c.chunks.length) && slots.every((s) => s.job)) slots.push(spawn())
    for (const slot of slots) {
      if (slot.job) continue
      const next = take()
      if (!next) return
      const id = nextId++
      slot.job = { id, ...next }
      slot.worker.ref()
      slot.worker.postMessage({ id, ...next.call.chunks[next.index] })
    }
  }

  const submit = (chunks: Chunk[]): Promise<unknown[]> => {
    if (closed) return Promise.reject(new SealingPoolClosedError())
    if (chunks.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      calls.push({ chunks, next: 0, pending: chunks.length, results: [], resolve, reject, done: false })
      try {
        dispatch()
      } catch (err) {
        // A worker that cannot even be created (a missing worker file): say so, do not hang.
        for (const c of [...calls]) finish(c, new SealingWorkerError((err as Error).message, err))
      }
    })
  }

  const cut = <T>(items: T[]): T[][] => {
    const out: T[][] = []
    for (let i = 0; i < items.length; i += batchSize) out.push(items.slice(i, i + batchSize))
    return out
  }

  const pool: SealingPool = {
    size,
    async seal(publicKey, plaintext, context) {
      return (await pool.sealMany([{ publicKey, plaintext, context }]))[0]
    },
    async sealMany(items) {
      return (await submit(cut(items).map((c) => ({ op: 'seal', items: c })))) as Uint8Array[]
    },
    async open(privateKey, sealed, context) {
      const [r] = await pool.openMany(privateKey, [{ sealed, context }])
      if ('error' in r) throw r.error
      return r.value
    },
    async openMany(keys, items) {
      const ks = keys instanceof Uint8Array ? [keys] : keys
      return (await submit(cut(items).map((c) => ({ op: 'open', keys: ks, items: c })))) as OpenOutcome[]
    },
    async close() {
      if (closed) return
      closed = true
      for (const c of [...calls]) finish(c, new SealingPoolClosedError())
      const ending = slots.splice(0).map((s) => s.worker.terminate())
      await Promise.allSettled(ending)
    },
  }
  return pool
}

/**
 * Where the worker is: beside this module. From the built dist (one bundle, dist/cli.js, with the
 * worker as its own entry dist/sealingWorker.js) and the npm-packed install that is the .js file;
 * from src (tsx, vitest) it is the .ts file, which a worker can only load through tsx's loader.
 */
function workerEntry(): { url: URL | string; eval?: boolean } {
  const here = import.meta.url
  if (!/\.ts$/.test(new URL(here).pathname)) return { url: new URL('./sealingWorker.js', here) }
  // A worker's --import does not reach its entry module on Node 20: load tsx's API first, then the worker through it.
  const api = tsxEsmApi(here)
  const entry = new URL('./sealingWorker.ts', here).href
  return { url: `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}))`, eval: true }
}

/** File URL of tsx's ESM API (its package exports, "import" condition: a require() resolve would give the CJS build). */
function tsxEsmApi(from: string): string {
  const pkgFile = createRequire(from).resolve('tsx/package.json')
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> }
  return pathToFileURL(join(dirname(pkgFile), pkg.exports['./esm/api'].import.default)).href
}
