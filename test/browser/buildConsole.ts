import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'vite'

/**
 * Builds the console into dist/web (where `serve server` finds it) unless that build is newer than
 * every file of web/: `npm test` has just built it, and rebuilding then would empty dist/web under
 * any other test serving it; a direct `vitest run` after editing web/ still tests the edit.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = resolve('dist/web/index.html')
  const fresh = (): boolean => existsSync(index) && statSync(index).mtimeMs >= newestMtime(resolve('web'))
  if (fresh()) return
  // Browser test files run in parallel workers, and a build empties dist/web first: one build at a
  // time (a lock directory), re-checked once the lock is held; a lock older than 5 minutes is a crashed build.
  const lock = join(tmpdir(), `lwchain-web-build-${Buffer.from(process.cwd()).toString('hex').slice(-24)}.lock`)
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000) rmSync(lock, { recursive: true, force: true })
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    if (!fresh()) await build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn' })
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}
