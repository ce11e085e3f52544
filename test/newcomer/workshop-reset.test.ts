// `npm run workshop:reset` (scripts/workshop-reset.mjs), run in a throw-away git clone of the
// samples with a temp directory of its own: it puts samples/ back as committed, deletes the key
// files the workshop makes (and nothing else), the snapshot a real sidecar wrote, and the dry runs'
// cache directories; it has nothing to do a second time; outside a git clone it says what it could
// not do and exits 1.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { cleanEnv, spawnOnFreePort } from '../../test-support/processes.js'
import type { Running } from '../../test-support/processes.js'
import { copyCommittedSamples, repoRoot } from '../docs/doc-runner.js'

const FINAL =
  'workshop reset: samples/ as committed, no workshop key files, no sidecar snapshot cache'
const WORKSHOP_KEYS = [
  'new-key.private.jwks.json',
  'new-key.public.jwks.json',
  'both.private.jwks.json',
  'my-keys.private.jwks.json',
]
const uid = process.getuid?.() ?? 0

interface Clone {
  readonly root: string
  readonly tmp: string
  readonly home: string
  git(...args: string[]): string
}

const dirs: { remove: () => Promise<void> }[] = []
const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => proc.stop('SIGKILL')))
  await Promise.all(dirs.splice(0).map((dir) => dir.remove()))
})

/** A clone-like git repository holding the committed samples and the reset script. */
async function makeClone(options: { git: boolean }): Promise<Clone> {
  const dir = await tempDir('config-sidecar-reset-')
  dirs.push(dir)
  const root = join(dir.path, 'repo')
  const tmp = join(dir.path, 'tmp')
  const home = join(dir.path, 'home')
  await Promise.all([mkdir(join(root, 'scripts'), { recursive: true }), mkdir(tmp), mkdir(home)])
  await copyCommittedSamples(root)
  await copyFile(
    join(repoRoot, 'scripts', 'workshop-reset.mjs'),
    join(root, 'scripts', 'workshop-reset.mjs'),
  )
  const git = (...args: string[]): string => {
    const result = spawnSync('git', args, {
      cwd: root,
      env: { PATH: process.env['PATH'], HOME: home, LANG: 'C' },
      encoding: 'utf8',
    })
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  if (options.git) {
    // A fork may commit a public key of its own: the reset must leave a tracked file alone.
    await writeFile(join(root, 'my-keys.public.jwks.json'), '{"keys":[]}\n')
    git('init', '-q')
    git('add', 'samples', 'scripts', 'my-keys.public.jwks.json')
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'clone')
  }
  return { root, tmp, home, git }
}

function reset(clone: Clone): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['scripts/workshop-reset.mjs'], {
    cwd: clone.root,
    env: cleanEnv({ HOME: clone.home, TMPDIR: clone.tmp }),
    encoding: 'utf8',
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

async function write(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, text)
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort()
}

describe('npm run workshop:reset', () => {
  it('puts samples/ back as committed and deletes the workshop key files, the snapshot cache and the dry runs', async () => {
    const clone = await makeClone({ git: true })
    const yaml = join(clone.root, 'samples', 'config', 'application.yaml')
    await writeFile(yaml, `${await readFile(yaml, 'utf8')}workshop:\n  apiToken: '{jwe}x'\n`)
    await unlink(join(clone.root, 'samples', 'demo-only.public.jwks.json'))
    await write(join(clone.root, 'samples', 'config', 'extra.yaml'), 'extra: true\n')
    for (const name of WORKSHOP_KEYS) await write(join(clone.root, name), '{"keys":[]}\n')
    await write(join(clone.root, 'prod.private.jwks.json'), '{"keys":[]}\n')
    await write(join(clone.root, 'workshop-files', 'config.yaml'), 'greeting: [unclosed\n')
    const snapshot = 'snapshot-0123456789abcdef.json'
    const privateDir = join(clone.tmp, `config-sidecar-${uid}`)
    await write(join(privateDir, 'config-sidecar-cache', snapshot), '{}')
    await write(join(privateDir, 'config-sidecar-8082.token'), 'token-of-a-running-sidecar\n')
    await write(join(clone.tmp, 'config-sidecar-cache', snapshot), '{}')
    await write(join(clone.tmp, 'tmp.DryRun1234', snapshot), '{}')
    await write(join(clone.tmp, 'config-sidecar-workshop.a1b2c3', snapshot), '{}')
    await write(join(clone.tmp, 'tmp.Other12345', 'notes.txt'), 'not the workshop’s\n')
    await mkdir(join(clone.tmp, 'tmp.Empty12345'))

    const { code, stdout, stderr } = reset(clone)

    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toBe(FINAL)
    expect(lines).toEqual(
      expect.arrayContaining([
        'restored samples/config/application.yaml',
        'restored samples/demo-only.public.jwks.json',
        'left in place: samples/config/extra.yaml is not in git (the dev config server serves it too)',
        ...WORKSHOP_KEYS.map((name) => `removed ${name}`),
        'removed workshop-files/',
        `removed ${join(privateDir, 'config-sidecar-cache')} (the sidecar's snapshot cache)`,
        `removed ${join(clone.tmp, 'config-sidecar-cache')} (the sidecar's snapshot cache)`,
        `removed ${join(clone.tmp, 'tmp.DryRun1234')} (a dry run's cache)`,
        `removed ${join(clone.tmp, 'config-sidecar-workshop.a1b2c3')} (a dry run's cache)`,
      ]),
    )
    expect(clone.git('status', '--porcelain', '--', 'samples')).toBe(
      '?? samples/config/extra.yaml\n',
    )
    expect(await readFile(yaml, 'utf8')).toBe(
      clone.git('show', 'HEAD:samples/config/application.yaml'),
    )
    for (const name of WORKSHOP_KEYS) expect(existsSync(join(clone.root, name)), name).toBe(false)
    expect(existsSync(join(clone.root, 'workshop-files')), 'exercise 10').toBe(false)
    expect(existsSync(join(clone.root, 'prod.private.jwks.json')), 'a key of the user').toBe(true)
    expect(existsSync(join(clone.root, 'my-keys.public.jwks.json')), 'a tracked file').toBe(true)
    expect(await filesUnder(clone.tmp)).toEqual([
      `config-sidecar-${uid}/config-sidecar-8082.token`,
      'tmp.Other12345/notes.txt',
    ])
    expect(existsSync(join(clone.tmp, 'tmp.Empty12345'))).toBe(true)
  })

  it('has nothing to do a second time', async () => {
    const clone = await makeClone({ git: true })
    await write(join(clone.root, 'new-key.private.jwks.json'), '{"keys":[]}\n')
    expect(reset(clone).code).toBe(0)
    expect(reset(clone)).toEqual({ code: 0, stdout: `${FINAL}\n`, stderr: '' })
  })

  it('outside a git clone, still deletes the rest, then says what it could not do and exits 1', async () => {
    const clone = await makeClone({ git: false })
    await write(join(clone.root, 'new-key.private.jwks.json'), '{"keys":[]}\n')
    const { code, stdout, stderr } = reset(clone)
    expect(code).toBe(1)
    expect(stdout).toContain('removed new-key.private.jwks.json')
    expect(stdout).not.toContain(FINAL)
    expect(stderr).toMatch(/^samples\/ cannot be restored: .+\n$/)
  })

  describe('with a real sidecar', () => {
    beforeAll(() => {
      if (!existsSync(join(repoRoot, 'dist', 'push', 'sidecar', 'main.mjs'))) {
        throw new Error('dist/push/sidecar/main.mjs is missing: run npm run build first')
      }
    })

    it('deletes the snapshot the sidecar keeps by default, wherever that is', async () => {
      const clone = await makeClone({ git: true })
      const { proc: sidecar } = await spawnOnFreePort(
        process.execPath,
        [join(repoRoot, 'dist', 'push', 'sidecar', 'main.mjs')],
        {
          cwd: clone.root,
          env: (port) =>
            cleanEnv({
              HOME: clone.home,
              TMPDIR: clone.tmp,
              CONFIG_SERVER_PORT: String(port),
              CONFIG_SOURCE: 'file:samples/config',
              CONFIG_KEYS: 'file:samples/demo-only.private.jwks.json',
            }),
          ready: /config sidecar listening/,
          timeoutMs: 15_000,
        },
      )
      running.push(sidecar)
      await sidecar.waitForOutput(/"msg":"config changed"/, 15_000)
      const snapshots = async (): Promise<string[]> =>
        (await filesUnder(clone.tmp)).filter((file) => /snapshot-[0-9a-f]+\.json$/.test(file))
      await expect.poll(snapshots, { timeout: 5000 }).toHaveLength(1)
      expect(await sidecar.stop('SIGTERM')).toBe(0)

      const { code, stdout } = reset(clone)
      expect(code).toBe(0)
      expect(stdout).toMatch(/^removed .*config-sidecar-cache \(the sidecar's snapshot cache\)$/m)
      expect(await snapshots()).toEqual([])
    })
  })
})
