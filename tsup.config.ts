import { defineConfig } from 'tsup'

// One ESM bundle for the `lwchain` binary; dependencies stay external (installed from npm). The
// sealing pool's worker thread is its own entry: the pool loads dist/sealingWorker.js beside dist/cli.js.
export default defineConfig({
  entry: { cli: 'src/cli.ts', sealingWorker: 'src/chain/sealingWorker.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
})
