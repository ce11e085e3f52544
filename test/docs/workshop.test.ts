// The workshop's local exercises (1 to 7), run as a reader runs them: every `sh exercise` block of
// docs/workshop/*.md in order, in one sandbox, with the expected output checked. See
// docs/workshop/README.md ("How the workshop is tested") for the format.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, parseSteps, readDoc, repoRoot } from './doc-runner.js'
import type { Sandbox, Step } from './doc-runner.js'

const WORKSHOP = 'docs/workshop'
const LOCAL = 7

const files = (await readdir(join(repoRoot, WORKSHOP)))
  .filter((name) => /^\d\d-.*\.md$/.test(name))
  .sort()
const exercises = await Promise.all(
  files.map(async (name) => {
    const text = await readDoc(`${WORKSHOP}/${name}`)
    return {
      number: Number(name.slice(0, 2)),
      path: `${WORKSHOP}/${name}`,
      title: /^# (.*)$/m.exec(text)?.[1] ?? name,
      text,
      steps: parseSteps(text),
    }
  }),
)

describe('the workshop documents', () => {
  it('has exercises 1 to 9, each with a goal, steps and what just happened', () => {
    expect(exercises.map((exercise) => exercise.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (const exercise of exercises) {
      for (const heading of ['## Goal', '## Steps', '## What just happened']) {
        expect(exercise.text, `${exercise.path}: ${heading}`).toContain(`\n${heading}\n`)
      }
      expect(exercise.text, `${exercise.path}: expected output`).toMatch(/Expected output/)
    }
  })

  it('runs commands in exercises 1 to 7 only, each with expected output to check', () => {
    for (const exercise of exercises) {
      const commands = exercise.steps.filter(
        (step): step is Extract<Step, { kind: 'run' | 'terminal' }> =>
          step.kind === 'run' || step.kind === 'terminal',
      )
      if (exercise.number > LOCAL) {
        expect(exercise.steps, `${exercise.path} needs a platform; nothing in it is run`).toEqual(
          [],
        )
        continue
      }
      expect(commands.length, exercise.path).toBeGreaterThan(0)
      const checked = exercise.steps.filter(
        (step) => step.kind === 'expect' || (step.kind !== 'ctrl-c' && step.expected !== undefined),
      )
      expect(checked.length, `${exercise.path}: expected blocks`).toBeGreaterThan(0)
      for (const step of commands.filter((command) => command.kind === 'terminal')) {
        expect(
          step.expected,
          `${exercise.path}:${step.at}: a terminal shows when it is up`,
        ).toBeDefined()
      }
    }
  })
})

describe('the workshop, run', () => {
  let sandbox: Sandbox
  let failed: string | undefined

  beforeAll(async () => {
    sandbox = await createSandbox()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  for (const exercise of exercises.filter((candidate) => candidate.number <= LOCAL)) {
    it(
      exercise.title,
      async (context) => {
        // Each exercise starts where the one before left off.
        if (failed !== undefined) context.skip(`${failed} failed`)
        try {
          await sandbox.run(exercise.steps, exercise.path)
        } catch (error) {
          failed = `exercise ${exercise.number}`
          throw error
        }
      },
      60_000,
    )
  }
})
