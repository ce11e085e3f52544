// The root commands of package.json, as a newcomer with only Node.js and npm runs them: each goes
// through scripts/run.mjs, which brings the pinned pnpm and installs before anything needs them;
// run.mjs names only tasks it has; and the raw steps it calls never come back to it (`build`
// calling run.mjs calling `build` would never end).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../docs/doc-runner.js'

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  packageManager: string
}
const runMjs = readFileSync(join(repoRoot, 'scripts', 'run.mjs'), 'utf8')
const RUN = /^node scripts\/run\.mjs (\S+)$/

function runTask(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'run.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('the root scripts', () => {
  it('run every command the docs give a newcomer through scripts/run.mjs', () => {
    for (const name of ['demo', 'test', 'test:unit', 'build', 'lint', 'format', 'bench']) {
      expect(pkg.scripts[name], name).toBe(`node scripts/run.mjs ${name}`)
    }
    expect(pkg.scripts['workshop:reset']).toBe('node scripts/workshop-reset.mjs')
  })

  it('name only tasks that scripts/run.mjs has', () => {
    const { code, stderr } = runTask('no-such-task')
    expect(code).toBe(2)
    const tasks = /^usage: node scripts\/run\.mjs (\S+) /.exec(stderr)?.[1]?.split('|') ?? []
    const named = Object.values(pkg.scripts).flatMap((script) => RUN.exec(script)?.[1] ?? [])
    expect(named.length).toBeGreaterThan(5)
    for (const task of named) expect(tasks, task).toContain(task)
  })

  it('let scripts/run.mjs call only raw scripts, which never call it back', () => {
    const called = [...runMjs.matchAll(/\['run', '([^']+)'\]/g)].map((match) => match[1]!)
    expect(called).toEqual(expect.arrayContaining(['build:packages', 'lint:check']))
    for (const script of called) {
      expect(pkg.scripts[script], script).toBeDefined()
      expect(pkg.scripts[script], script).not.toContain('scripts/run.mjs')
    }
    expect(pkg.scripts['build:packages']).toContain('scripts/build-push.mjs')
  })

  it('bring the pnpm pinned in packageManager', () => {
    const { code, stdout } = runTask('pnpm', '--version')
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(pkg.packageManager.replace(/^pnpm@/, ''))
  }, 130_000)
})
