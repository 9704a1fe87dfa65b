/** Helpers for tests that drive the built `lwchain` binary (dev, simulate, the Fig. 5 flow). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const BIN = join(process.cwd(), 'bin', 'lwchain.js')

/** The newest modification time of any file below `dir`. */
export function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

function isBuildFresh(): boolean {
  const out = join(process.cwd(), 'dist', 'cli.js')
  return existsSync(out) && statSync(out).mtimeMs >= newestMtime(join(process.cwd(), 'src'))
}

/**
 * Runs `build` unless `isFresh()`, one process at a time: test files run in parallel workers and
 * a build empties its output first, so a lock directory named `lockName` serialises them, and
 * freshness is checked again once the lock is held. A lock older than 5 minutes is a crashed build.
 */
export async function buildOnceAtATime(lockName: string, isFresh: () => boolean, build: () => Promise<void> | void): Promise<void> {
  if (isFresh()) return
  const lock = join(tmpdir(), `${lockName}-${Buffer.from(process.cwd()).toString('hex').slice(-24)}.lock`)
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000) rmSync(lock, { recursive: true, force: true })
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  try {
    if (!isFresh()) await build()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Builds the binary only when dist is missing or older than src. */
export function buildIfStale(): Promise<void> {
  return buildOnceAtATime('lwchain-build', isBuildFresh, () => void execFileSync('npm', ['run', 'build'], { stdio: 'ignore' }))
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The parent's environment without lwchain's variables, so a developer's shell cannot steer the test. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('LWCHAIN_') && k !== 'LWCHAIN_ANVIL_BIN') delete env[k]
  return { ...env, ...extra }
}

/** Runs the built binary to completion (optionally with stdin). */
export function run(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(opts.stdin ?? '')
  })
}

/** A long-running command: its process, its stdout lines so far, its stderr, and how it exits. */
export interface Running {
  child: ChildProcess
  lines: string[]
  stderr: () => string
  exited: Promise<number | null>
  /** Resolves with the next stdout line matching `test` (already seen ones first). */
  line(test?: (l: string) => boolean): Promise<string>
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Spawns a long-running command of the built binary. */
export function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let stderr = ''
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l)
    for (const w of [...waiters]) if (w.test(l)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(l))
  })
  child.stderr!.on('data', (c) => (stderr += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    line(test = () => true) {
      const seen = lines.find(test)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve })
        void exited.then((code) => reject(new Error(`exited with ${code} before the line came; stderr:\n${stderr.slice(-2000)}`)))
      })
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** Polls `fn` until it returns a value other than undefined (the test's timeout bounds it). */
export async function eventually<T>(fn: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
