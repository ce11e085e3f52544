// One package's unit tests alone, for mutation testing (npm run mutate, stryker.config.mjs): the
// tests that start the built process are left out, and @sample/shared is read from its source so
// that Stryker's sandbox needs no build.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import type { ViteUserConfig } from 'vitest/config'

export function unitTestConfig(packageDir: URL, exclude: readonly string[]): ViteUserConfig {
  return defineConfig({
    resolve: {
      alias: {
        '@sample/shared': fileURLToPath(new URL('../shared/src/index.ts', packageDir)),
      },
    },
    test: {
      root: fileURLToPath(packageDir),
      include: ['test/**/*.test.ts'],
      exclude: [...exclude],
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  })
}
