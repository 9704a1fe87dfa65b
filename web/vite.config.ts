import preact from '@preact/preset-vite'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The web console: built by `npm run build:web` (after tsup, whose clean wipes dist/) into
// dist/web/, which src/api/static.ts serves at `/`. Absolute asset URLs (/assets/...) so deep links such as
// /admin/users load them too; no CDN.
const here = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root: here,
  base: '/',
  plugins: [preact()],
  // `npx vite --config web/vite.config.ts` for development: /api goes to a running server.
  server: { proxy: { '/api': process.env.LWCHAIN_API_URL ?? 'http://127.0.0.1:8080' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
})
