// The README's five-minute tour, run as written (the same format as the workshop, see
// docs/workshop/README.md), in a sandbox of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, parseSteps, readDoc } from './doc-runner.js'
import type { Sandbox } from './doc-runner.js'

const steps = parseSteps(await readDoc('README.md'))

describe('the README tour', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await createSandbox()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  it('starts the demo, reads, edits, stops it and puts the sample back', async () => {
    expect(steps.map((step) => step.kind)).toContain('terminal')
    // It ends as a reader leaves it: the demo stopped, the sample put back.
    expect(steps.filter((step) => step.kind === 'ctrl-c')).toMatchObject([{ terminal: 'demo' }])
    expect(steps.at(-1)).toMatchObject({ kind: 'run', command: 'npm run workshop:reset' })
    await sandbox.run(steps, 'README.md')
  }, 60_000)
})
