// This package's unit tests alone, for mutation testing (see test-support/vitest-unit.ts).
import { unitTestConfig } from '../../test-support/vitest-unit.js'

export default unitTestConfig(new URL('.', import.meta.url), [
  // These start the built CLI in child processes: Stryker's mutants are not in that build.
  'test/cli/cli.test.ts',
  'test/cli/encrypt.test.ts',
  'test/cli/keygen.test.ts',
  'test/cli/usage.test.ts',
  'test/document/crypto/leak.test.ts',
])
