// This package's unit tests alone, for mutation testing (npm run mutate): the tests that start the
// built process are left out, and @sample/shared is read from its source so a sandbox needs no build.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: {
      '@sample/shared': fileURLToPath(new URL('../shared/src/index.ts', import.meta.url)),
    },
  },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    exclude: [],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
