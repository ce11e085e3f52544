// Runs docs/workshop/10-config-as-files.md as a reader would (the same runner and sandbox as
// test/docs/workshop.test.ts, which runs exercises 1 to 7): a process that only reads a `.env` file,
// reloaded by CONFIG_ON_CHANGE with SIGHUP. Twice, as a reader who does the exercise again.
// Assumes the build ran.
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createSandbox, parseSteps, readDoc } from '../docs/doc-runner.js'
import type { Sandbox } from '../docs/doc-runner.js'

const EXERCISE = 'docs/workshop/10-config-as-files.md'
const steps = parseSteps(await readDoc(EXERCISE))

describe('workshop exercise 10: config as files', () => {
  let sandbox: Sandbox
  beforeAll(async () => {
    sandbox = await createSandbox()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  for (const pass of ['first run', 'rerun']) {
    it(`${pass}: runs as written`, async () => {
      await sandbox.run(steps, EXERCISE)
    }, 90_000)
  }
})
