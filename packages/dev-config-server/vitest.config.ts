// This package's unit tests alone, for mutation testing (see test-support/vitest-unit.ts).
import { unitTestConfig } from '../../test-support/vitest-unit.js'

export default unitTestConfig(new URL('.', import.meta.url), ['test/main.test.ts'])
