import { defineConfig } from 'tsup'

// One ESM bundle for the `lwchain` binary; dependencies stay external (installed from npm).
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
})
