import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'vite'

/**
 * Builds the console into dist/web (where `serve server` finds it) unless that build is newer than
 * every file of web/: `npm test` has just built it, and rebuilding then would empty dist/web under
 * any other test serving it; a direct `vitest run` after editing web/ still tests the edit.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = resolve('dist/web/index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(resolve('web'))) return
  await build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn' })
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}
