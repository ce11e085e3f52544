// One package's unit tests alone, for mutation testing (npm run mutate, stryker.config.mjs): the
// tests that start the built process are left out, and @sample/shared is read from its source so
// that Stryker's sandbox needs no build. Also the aliases every test run needs (the root
// vitest.config.ts uses them too).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import type { ViteUserConfig } from 'vitest/config'

/**
 * `jose`, for the helpers in test-support/ (./jose.ts): a dev dependency of the sidecar package
 * only, which the repository root's node_modules does not hold (tsconfig.test.json maps it the same
 * way for the type check).
 */
export function testSupportAliases(rootDir: URL): Record<string, string> {
  return {
    jose: fileURLToPath(
      new URL('packages/config-sidecar/node_modules/jose/dist/webapi/index.js', rootDir),
    ),
  }
}

export function unitTestConfig(packageDir: URL, exclude: readonly string[]): ViteUserConfig {
  return defineConfig({
    resolve: {
      alias: {
        ...testSupportAliases(new URL('../../', packageDir)),
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
