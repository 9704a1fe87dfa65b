import { parentPort } from 'node:worker_threads'
import { open, seal } from './sealing.js'
import type { WorkerJob, WorkerReply, WireError } from './sealingProtocol.js'

/**
 * The crypto pool's worker thread (see sealingPool.ts): runs seal/open jobs with the same
 * synchronous node:crypto code as the main thread would, so a daemon's event loop never does.
 * Built as its own entry of the dist (tsup.config.ts), loaded from src through tsx in tests.
 */

function wire(err: unknown): WireError {
  const e = err as { name?: string; code?: string; shortMessage?: string; message?: string }
  return { name: e?.name ?? 'Error', code: e?.code, message: e?.shortMessage ?? e?.message ?? String(err) }
}

function run(job: WorkerJob): WorkerReply {
  if (job.op === 'seal') {
    try {
      const results = job.items.map((it) => own(seal(it.publicKey, it.plaintext, it.context)))
      return { id: job.id, ok: true, op: 'seal', results }
    } catch (err) {
      return { id: job.id, ok: false, error: wire(err) }
    }
  }
  try {
    const results = job.items.map((it) => {
      let last: unknown
      for (let k = 0; k < job.keys.length; k++) {
        try {
          return { value: own(open(job.keys[k], it.sealed, it.context)), key: k }
        } catch (err) {
          last = err
        }
      }
      return { error: wire(last) }
    })
    return { id: job.id, ok: true, op: 'open', results }
  } finally {
    // This thread's copies of the private keys go with the job (the main thread keeps the originals).
    for (const k of job.keys) k.fill(0)
  }
}

parentPort?.on('message', (job: WorkerJob) => {
  const reply = run(job)
  // Output buffers are moved, not copied, back to the main thread.
  const transfer = reply.ok
    ? reply.op === 'seal'
      ? reply.results.map((r) => r.buffer as ArrayBuffer)
      : reply.results.flatMap((r) => ('value' in r ? [r.value.buffer as ArrayBuffer] : []))
    : []
  parentPort!.postMessage(reply, transfer)
})

/**
 * A copy in an ArrayBuffer of its own: node:crypto's outputs are views into Buffer's shared 8 KiB
 * pool, which would be cloned whole (other values with it) or refuse to be transferred.
 */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}
