/**
 * One process at a time per directory: the lock behind the anomaly ledger's outbox, `lwchain dev`'s
 * data dir and the embedded chain's state. A holder that died (kill -9) is taken over.
 *
 * Why not a pid file or proper-lockfile: both take a stale lock over by removing it and creating a
 * new one, and two processes that judge the same lock stale can both remove it and both win
 * (proper-lockfile issue #121, open; our two pid-file copies had the same race). Node has no
 * flock. So the lock is a directory of numbered generation files and nothing is ever removed to
 * take over: a taker who finds generation N's holder dead creates N+1 with an exclusive hard link,
 * and exactly one of any number of racing takers can create a given name. Then it checks that no
 * higher generation appeared meanwhile (it backs off if one did), so the holder is always the
 * writer of the highest generation, and generations only grow. Lower generations are swept by the
 * new holder. Release rewrites the holder's own file as "released" (an atomic rename) rather than
 * deleting it, so the highest generation never goes back down.
 *
 * Liveness is `kill(pid, 0)`: a dead holder's pid reused by an unrelated process looks alive, which
 * refuses (the safe side) until that process ends.
 */
import { linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { LwchainError } from '../errors/base.js'
import { processAlive } from './processAlive.js'

/** What a generation file records about its holder. */
export interface LockHolder {
  readonly pid: number
  /** Epoch ms when it took the lock. */
  readonly since: number
  /** Whatever the holder added (e.g. the embedded chain's anvil pid and URL). */
  readonly info?: Record<string, unknown>
}

/** A held lock. */
export interface DirLock {
  /** The lock directory. */
  readonly path: string
  /** Replaces the holder's `info` (atomically; readers see the old or the new record). */
  update(info: Record<string, unknown>): void
  /** Releases the lock; idempotent. */
  release(): void
}

/** Another live process holds the lock (`holder` undefined only when takers kept colliding). */
export class DirLockedError extends LwchainError {
  override name = 'DirLockedError'
  readonly lockPath: string
  readonly holder?: LockHolder
  constructor(lockPath: string, holder: LockHolder | undefined) {
    super(holder ? `${lockPath} is held by process ${holder.pid}` : `${lockPath} is contended: could not take it`, { code: 'LWC_DIR_LOCKED' })
    this.lockPath = lockPath
    this.holder = holder
  }
}

const RELEASED = 'released'
const GENERATION = /^\d{12}$/
const MAX_ATTEMPTS = 50

export interface AcquireDirLockOptions {
  /** Recorded with the holder (see DirLock.update). */
  info?: Record<string, unknown>
}

/**
 * Takes the lock directory `lockPath` (created when missing) for this process. Throws
 * DirLockedError while a live process holds it, this one included (one holder per directory,
 * even within a process).
 */
export function acquireDirLock(lockPath: string, o: AcquireDirLockOptions = {}): DirLock {
  const info = o.info
  mkdirSync(lockPath, { recursive: true, mode: 0o700 })
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const top = highestGeneration(lockPath)
    if (top !== undefined) {
      const record = readGeneration(lockPath, top)
      if (record === undefined) continue // swept between the listing and the read: look again
      if (record !== RELEASED && processAlive(record.pid)) throw new DirLockedError(lockPath, record)
    }
    const mine = (top ?? 0) + 1
    const holder: LockHolder = { pid: process.pid, since: Date.now(), ...(info && { info }) }
    if (!createExclusive(lockPath, mine, JSON.stringify(holder))) continue // another taker created it first
    if ((highestGeneration(lockPath) ?? 0) > mine) {
      // A later generation appeared while we were taking this one: it wins, we back off.
      rmSync(join(lockPath, name(mine)), { force: true })
      continue
    }
    sweep(lockPath, mine)
    return heldLock(lockPath, mine, holder)
  }
  throw new DirLockedError(lockPath, undefined)
}

/** The current holder of a lock directory, or undefined when it is free (released, dead, absent). */
export function lockHolder(lockPath: string): LockHolder | undefined {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let top: number | undefined
    try {
      top = highestGeneration(lockPath)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    if (top === undefined) return undefined
    const record = readGeneration(lockPath, top)
    if (record === undefined) continue
    return record !== RELEASED && processAlive(record.pid) ? record : undefined
  }
  return undefined
}

function heldLock(lockPath: string, generation: number, holder: LockHolder): DirLock {
  let released = false
  return {
    path: lockPath,
    update(info) {
      if (released) return
      replace(lockPath, generation, JSON.stringify({ ...holder, info }))
    },
    release() {
      if (released) return
      released = true
      // Only if still ours: after a takeover (we were presumed dead) a higher generation exists.
      if ((highestGeneration(lockPath) ?? 0) === generation) replace(lockPath, generation, RELEASED)
    },
  }
}

function name(generation: number): string {
  return String(generation).padStart(12, '0')
}

function highestGeneration(lockPath: string): number | undefined {
  let top: number | undefined
  for (const entry of readdirSync(lockPath)) {
    if (!GENERATION.test(entry)) continue
    const n = Number(entry)
    if (top === undefined || n > top) top = n
  }
  return top
}

/** The record of a generation; undefined when the file is gone. An unreadable record counts as dead. */
function readGeneration(lockPath: string, generation: number): LockHolder | typeof RELEASED | undefined {
  let text: string
  try {
    text = readFileSync(join(lockPath, name(generation)), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (text === RELEASED) return RELEASED
  try {
    const v = JSON.parse(text) as LockHolder
    return typeof v.pid === 'number' ? v : { pid: 0, since: 0 }
  } catch {
    return { pid: 0, since: 0 }
  }
}

/** Creates the generation file with its full content, or returns false if it exists (link(2) is atomic and exclusive). */
function createExclusive(lockPath: string, generation: number, content: string): boolean {
  const tmp = tmpFile(lockPath)
  writeFileSync(tmp, content, { mode: 0o600 })
  try {
    linkSync(tmp, join(lockPath, name(generation)))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    rmSync(tmp, { force: true })
  }
}

function replace(lockPath: string, generation: number, content: string): void {
  const tmp = tmpFile(lockPath)
  writeFileSync(tmp, content, { mode: 0o600 })
  renameSync(tmp, join(lockPath, name(generation)))
}

function tmpFile(lockPath: string): string {
  return join(lockPath, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
}

/** Removes the generations below ours and temporary files of dead processes. */
function sweep(lockPath: string, mine: number): void {
  for (const entry of readdirSync(lockPath)) {
    const tmp = /^\.tmp-(\d+)-/.exec(entry)
    const stale = GENERATION.test(entry) ? Number(entry) < mine : tmp !== null && !processAlive(Number(tmp[1]))
    if (stale) rmSync(join(lockPath, entry), { force: true })
  }
}
