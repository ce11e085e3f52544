// Every command README.md, CONTRIBUTING.md and docs/**/*.md show (the workshop included) names
// something that exists: an npm script of the right package.json, a file, a dependency's binary, or
// a known tool. The rules are in test/docs/commands.ts; the second part checks that the checker
// refuses what it must refuse.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkDocument, checkShell, readProject } from './commands.js'
import { readDoc, repoRoot } from './doc-runner.js'
import { markdownUnder } from './markdown.js'

const project = readProject(repoRoot)
const documents = ['README.md', 'CONTRIBUTING.md', ...(await markdownUnder('docs'))]

describe('the commands the docs show', () => {
  it('covers the README, CONTRIBUTING and every page under docs/, the workshop included', () => {
    expect(documents).toContain('docs/workshop/01-run-locally.md')
    expect(documents).toContain('docs/reference.md')
  })

  it.each(documents)('%s: each runs as written', async (document) => {
    const problems = checkDocument(await readDoc(document), project).map(
      (problem) => `${document}:${problem.line}: ${problem.command}: ${problem.reason}`,
    )
    expect(problems).toEqual([])
  })
})

/** The reasons the checker gives for a shell text, run from the repository root. */
const reasons = (text: string): string[] =>
  checkShell(text, project).map((problem) => problem.reason)

describe('the command check', () => {
  const pinned = (
    JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { packageManager: string }
  ).packageManager.replace(/^pnpm@/, '')

  it('refuses an npm script that package.json does not have, wherever it hides', () => {
    for (const text of [
      'npm run no-such-script',
      'npm run --silent no-such-script',
      'CONFIG_X=1 npm run no-such-script',
      'cf push && npm run no-such-script',
      'curl -s localhost:8080 | npm run no-such-script',
      'TOKEN=$(npm run no-such-script)',
      'echo "$(npm run no-such-script)"',
      'echo "${X:-$(npm run no-such-script)}"',
      'echo `npm run no-such-script`',
      'CONFIG_A=1 \\\n  CONFIG_B=2 \\\n  npm run no-such-script',
      '(npm run no-such-script)',
    ]) {
      expect(reasons(text), text).toEqual(['package.json has no script "no-such-script"'])
    }
  })

  it('accepts the scripts package.json has, and npm commands that need no script', () => {
    for (const text of [
      'npm run demo',
      'npm test',
      'npm run test:unit',
      'npm run workshop:reset',
      'npm run build   # a comment naming npm run nothing',
      'npm --version',
      'npm test -- test/docs packages/shared',
    ]) {
      expect(reasons(text), text).toEqual([])
    }
  })

  it('checks a script against the package.json of the directory the command runs in', () => {
    expect(reasons('cd packages/shared && npm run build')).toEqual([])
    expect(reasons('cd packages/shared && npm run demo')).toEqual([
      'packages/shared/package.json has no script "demo"',
    ])
    expect(reasons('(cd packages/shared && npm run build) && npm run demo')).toEqual([])
    expect(reasons('cd packages/shared && cd - && npm run demo')).toEqual([])
    expect(reasons('cd no/such/dir')).toEqual(['no directory no/such/dir'])
  })

  it('refuses a file that does not exist, for node or as a command', () => {
    expect(reasons('node scripts/demo.mjs')).toEqual([])
    expect(reasons('node -e "console.log(1)"')).toEqual([])
    expect(reasons('node scripts/no-such-script.mjs')).toEqual([
      'node scripts/no-such-script.mjs: no file scripts/no-such-script.mjs',
    ])
    expect(reasons('./scripts/no-such-script.sh')).toEqual(['no file scripts/no-such-script.sh'])
    expect(reasons('/usr/local/bin/something')).toEqual([
      '/usr/local/bin/something is not a known platform path',
    ])
  })

  it('accepts npx of a dependency or its binary, and refuses anything npx would download', () => {
    expect(reasons('npx tsc -b')).toEqual([])
    expect(reasons('npx vitest run test/docs')).toEqual([])
    expect(reasons(`npx --yes pnpm@${pinned} install`)).toEqual([])
    expect(reasons('npx left-pad')).toEqual([
      'npx left-pad: not a dependency of package.json (npx would download something else)',
    ])
    expect(reasons('npx pnpm@1.0.0 install')).toEqual([
      `npx pnpm must name the pinned version: pnpm@${pinned}`,
    ])
    expect(reasons('npx vitest run packages/no-such-package/test')).toEqual([
      'no packages/no-such-package/test',
    ])
    expect(reasons('npm run test:run -- packages/no-such-package/test')).toEqual([
      'no packages/no-such-package/test',
    ])
  })

  it('refuses pnpm, which a machine with only Node.js and npm does not have', () => {
    expect(reasons('pnpm build')).toHaveLength(1)
    expect(reasons('pnpm build')[0]).toMatch(/^pnpm is not installed/)
  })

  it('accepts the shell and the allow-listed platform tools, and nothing else', () => {
    expect(reasons('cf push && kubectl apply -k deploy/kubernetes/base')).toEqual([])
    expect(reasons('kind load docker-image x && minikube image load x')).toEqual([])
    expect(reasons('curl -s localhost:8080 > out.txt 2>&1; grep -c x out.txt')).toEqual([])
    expect(reasons('frobnicate --now')).toEqual([
      "`frobnicate` is not an npm script, a file, a dependency's binary or a known tool (add it to EXTERNAL_TOOLS in test/docs/commands.ts if the docs name it as a prerequisite)",
    ])
    expect(reasons("echo 'unterminated")).toEqual(['unterminated single quote'])
  })

  it('reports a problem of a document at the line of the command', () => {
    const markdown = [
      '# A page',
      '',
      'Run `npm run demo`, then `npm run no-such-inline`; `npm run <script>` is a pattern.',
      '',
      '```sh',
      'npm test',
      'npm run no-such-script',
      '```',
      '',
      '```text',
      'npm run not-a-command-block',
      '```',
    ].join('\n')
    expect(
      checkDocument(markdown, project).map((problem) => [problem.line, problem.command]),
    ).toEqual([
      [3, 'npm run no-such-inline'],
      [7, 'npm run no-such-script'],
    ])
  })
})
