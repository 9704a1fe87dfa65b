import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'vite'
import { buildOnceAtATime, newestMtime } from '../helpers/binary.js'

/**
 * Builds the console into dist/web (where `serve server` finds it) unless that build is newer than
 * every file of web/: `npm test` has just built it, and rebuilding then would empty dist/web under
 * any other test serving it; a direct `vitest run` after editing web/ still tests the edit.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = resolve('dist/web/index.html')
  const fresh = (): boolean => existsSync(index) && statSync(index).mtimeMs >= newestMtime(resolve('web'))
  await buildOnceAtATime('lwchain-web-build', fresh, () => build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn' }).then(() => undefined))
}
