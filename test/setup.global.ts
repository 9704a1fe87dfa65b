import { execFileSync } from 'node:child_process'

/**
 * Vitest global setup: make sure src/chain/generated/contracts.ts matches contracts/*.sol before
 * any test imports it (the compile script returns at once when nothing changed).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/compile-contracts.mjs'], { stdio: 'inherit' })
}
