/** Messages between the sealing pool (main thread) and its workers (sealingWorker.ts). */

/** An error as it crosses the thread boundary: the pool rebuilds the typed error from `code`. */
export interface WireError {
  name: string
  code?: string
  message: string
}

export interface SealJob {
  id: number
  op: 'seal'
  items: { publicKey: Uint8Array; plaintext: Uint8Array; context: string }[]
}

export interface OpenJob {
  id: number
  op: 'open'
  /** Tried in order for every item; the reply names the index of the one that opened it. */
  keys: Uint8Array[]
  items: { sealed: Uint8Array; context: string }[]
}

export type WorkerJob = SealJob | OpenJob

export type WorkerReply =
  | { id: number; ok: true; op: 'seal'; results: Uint8Array[] }
  | { id: number; ok: true; op: 'open'; results: ({ value: Uint8Array; key: number } | { error: WireError })[] }
  /** The whole job failed (a seal to an invalid key). */
  | { id: number; ok: false; error: WireError }
