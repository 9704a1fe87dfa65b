import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // web/src: the console's pure functions (typed inputs, messages), unit-tested in node.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Compiles contracts/*.sol into src/chain/generated/ first (a no-op when unchanged).
    globalSetup: ['test/setup.global.ts'],
    // Real peers (anvil, openssl, libcoap) take a moment to start on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
