// The usage text names the sidecar as the user ran it, a command that works when typed again (the
// repository's `node dist/push/sidecar/main.mjs`, the image's and Cloud Foundry's
// `node sidecar/main.mjs`; here the development build), never a `config-sidecar` command that no
// setting installs. An unknown command or a bad option is one line and the usage, exit 2, and never
// repeats an argument it did not understand (it may be a secret meant for encrypt).
import { spawnSync } from 'node:child_process'
import { relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { randomSecret } from '../../../../test-support/jose.js'
import { MAIN, cli, requireBuild } from './support.js'

const PACKAGE = resolve(import.meta.dirname, '..', '..')
const ROOT = resolve(PACKAGE, '..', '..')

let outside: { path: string; remove: () => Promise<void> }
beforeAll(async () => {
  requireBuild()
  outside = await tempDir()
})
afterAll(async () => {
  await outside.remove()
})

/** The `node <script>` that the usage's first line names. */
const invocationIn = (usage: string): string =>
  /^Usage: (.+?) \[serve\]/.exec(usage.split('\n')[0] ?? '')?.[1] ?? ''

describe('the usage text', () => {
  it.each([
    { where: 'the repository root', cwd: ROOT, run: `node ${relative(ROOT, MAIN)}` },
    { where: 'the package', cwd: PACKAGE, run: 'node dist/main.js' },
    { where: 'another directory', cwd: undefined, run: `node ${MAIN}` },
  ])('from $where names `$run` for every command', async ({ cwd, run }) => {
    const result = await cli(['--help'], { cwd: cwd ?? outside.path })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const usage = result.stdout
    expect(invocationIn(usage)).toBe(run)
    expect(usage).toContain(`${run} once`)
    expect(usage).toContain(
      `${run} keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>] [--force]`,
    )
    expect(usage).toContain(`${run} encrypt --key <public.jwks.json>`)
    expect(usage).toContain('[--allow-empty] [<value>]')
    // No command that no setting has: the package's `bin` is linked nowhere.
    expect(usage).not.toMatch(/config-sidecar (serve|once|keygen|encrypt)/)

    // The named command runs as written, from the same directory, through a shell.
    const again = spawnSync('sh', ['-c', `${run} --help`], {
      cwd: cwd ?? outside.path,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] },
    })
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toBe(usage)
  })

  it('is printed for -h and for --help after a command', async () => {
    const [short, after] = await Promise.all([
      cli(['-h'], { cwd: ROOT }),
      cli(['keygen', '--help'], { cwd: ROOT }),
    ])
    for (const result of [short, after]) {
      expect(result.code).toBe(0)
      expect(invocationIn(result.stdout)).toBe(`node ${relative(ROOT, MAIN)}`)
    }
  })
})

describe('an unknown command or a bad option', () => {
  const secret = randomSecret('not-echoed')
  it.each([
    { args: ['keygne'], says: 'unknown command' },
    { args: [secret, '--key', 'k.json'], says: 'unknown command' },
    { args: ['keygen', '--bogus'], says: 'argument 2 is not an option' },
    { args: ['keygen', '--force=yes'], says: '--force takes no value' },
    { args: ['keygen', '--out'], says: '--out needs a value' },
    { args: ['keygen', '--key', 'k.json'], says: '--key is not an option of keygen' },
    { args: ['keygen', 'extra'], says: 'takes no arguments' },
    { args: ['once', '--force'], says: '--force is not an option of once' },
    { args: ['serve', '--allow-empty'], says: '--allow-empty is not an option of serve' },
    { args: ['encrypt', '--force', 'v'], says: '--force is not an option of encrypt' },
    { args: ['encrypt', '--key', `-${secret}`], says: '--key needs a value' },
    { args: ['encrypt', '--key', 'k.json', `-${secret}`], says: 'put -- before a value' },
    { args: ['encrypt', '--key', 'k.json', `--${secret}`], says: 'argument 4 is not an option' },
    { args: ['encrypt', '--key', 'k.json', secret, 'more'], says: 'takes one value, got 2' },
  ])('$says: one line, the usage, exit 2', async ({ args, says }) => {
    const result = await cli(args, { cwd: ROOT })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const [line, next, ...usage] = result.stderr.trimEnd().split('\n')
    expect(line).toMatch(/^config-sidecar( \w+)?: /)
    expect(line).toContain(says)
    expect(next).toMatch(/^Usage: node /)
    expect(usage.join('\n')).toContain('encrypt --key <public.jwks.json>')
    expect(result.stderr).not.toContain(secret)
  })
})
