import { execFileSync } from 'node:child_process'

/**
 * Vitest global setup: make sure the generated modules match their sources before any test imports
 * them: src/chain/generated/contracts.ts (contracts/*.sol) and src/lwm2m/models/generated/
 * coreModels.ts (fixtures/models/*.xml). Both scripts return at once when nothing changed.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/compile-contracts.mjs'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/generate-models.mjs'], { stdio: 'inherit' })
}
