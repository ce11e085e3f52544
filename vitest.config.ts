import { defineConfig } from 'vitest/config'
import { testSupportAliases } from './test-support/vitest-unit.js'

export default defineConfig({
  resolve: { alias: testSupportAliases(new URL('./', import.meta.url)) },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests start real servers and processes; give each file its own process.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test-support/summary-reporter.ts'],
  },
})
