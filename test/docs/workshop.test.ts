// The workshop's local exercises (all but 8 and 9, which need a platform), run as a reader runs
// them: every `sh exercise` block of docs/workshop/*.md in order, in one sandbox, with the expected
// output checked: first 1 to 5, as a reader who stops half-way, then all of them again in the same
// sandbox, as that reader starting over. See docs/workshop/README.md ("How the workshop is tested")
// for the format.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, parseSteps, readDoc, repoRoot } from './doc-runner.js'
import type { Sandbox, Step } from './doc-runner.js'

const WORKSHOP = 'docs/workshop'
/** The exercises that need a platform (Cloud Foundry, Kubernetes): nothing in them is run. */
const PLATFORM = new Set([8, 9])
/** Where the first run of the workshop stops, before it is run again from the start. */
const HALF_WAY = 5

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
  it('has exercises numbered from 1 with no gap, each with a goal, steps and what just happened', () => {
    const numbers = exercises.map((exercise) => exercise.number)
    expect(numbers).toEqual(numbers.map((_, index) => index + 1))
    for (const number of PLATFORM) expect(numbers).toContain(number)
    for (const exercise of exercises) {
      for (const heading of ['## Goal', '## Steps', '## What just happened']) {
        expect(exercise.text, `${exercise.path}: ${heading}`).toContain(`\n${heading}\n`)
      }
      expect(exercise.text, `${exercise.path}: expected output`).toMatch(/Expected output/)
    }
  })

  it('runs commands in every exercise but 8 and 9, each with expected output to check', () => {
    for (const exercise of exercises) {
      const commands = exercise.steps.filter(
        (step): step is Extract<Step, { kind: 'run' | 'terminal' }> =>
          step.kind === 'run' || step.kind === 'terminal',
      )
      if (PLATFORM.has(exercise.number)) {
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

describe('the workshop, left half-way, then run again from the start', () => {
  let sandbox: Sandbox
  let failed: string | undefined

  beforeAll(async () => {
    sandbox = await createSandbox()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  // A reader does exercises 1 to 5 (samples edited, key files made, snapshots written), closes the
  // terminals, and later starts again at exercise 1, which begins with `npm run workshop:reset`:
  // every expected output must hold the second time too, to the end of the last exercise.
  const local = exercises.filter((exercise) => !PLATFORM.has(exercise.number))
  const passes = [
    { name: 'first run', exercises: local.filter((exercise) => exercise.number <= HALF_WAY) },
    { name: 'rerun', exercises: local },
  ]
  for (const pass of passes) {
    for (const exercise of pass.exercises) {
      it(`${pass.name}: ${exercise.title}`, async (context) => {
        // Each exercise starts where the one before left off.
        if (failed !== undefined) context.skip(`${failed} failed`)
        try {
          await sandbox.run(exercise.steps, exercise.path)
          if (pass.name === 'first run' && exercise.number === HALF_WAY) {
            await sandbox.stopTerminals()
          }
        } catch (error) {
          failed = `${pass.name}, exercise ${exercise.number}`
          throw error
        }
      }, 60_000)
    }
  }
})
