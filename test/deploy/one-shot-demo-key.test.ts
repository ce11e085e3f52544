// One-shot mode and the shipped demo key: a dry run (`node sidecar/main.mjs once`, as the
// Kubernetes Job and the Cloud Foundry task run it) with the public demo key in CONFIG_KEYS must
// not pass for a check of real keys. It logs the same warning as serving mode, word for word and
// field for field: once, naming the kids (by kid, or by thumbprint for a copy under another kid),
// with no key material. With keys of its own it says nothing of the kind. Assumes `npm run build`.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { cleanEnv, run } from '../../test-support/processes.js'
import { closedPort } from '../../test-support/ports.js'
import { spawnSidecar } from '../../test-support/processes.js'

const root = join(import.meta.dirname, '..', '..')
const pushDir = join(root, 'dist', 'push')
const sidecarMain = join(pushDir, 'sidecar', 'main.mjs')
const demoKeys = join(pushDir, 'samples', 'demo-only.private.jwks.json')
const sampleConfig = join(pushDir, 'samples', 'config')
const DEMO_KIDS = 'demo-only-rsa-2026,demo-only-ec-2026'

type Line = Record<string, unknown>
type Jwk = Record<string, string>

let dir: { path: string; remove: () => Promise<void> }
let plainConfig: string

beforeAll(async () => {
  dir = await tempDir('config-sidecar-once-demo-key-')
  plainConfig = join(dir.path, 'plain.yaml')
  await writeFile(plainConfig, 'greeting: no secrets here\n')
})
afterAll(async () => {
  await dir?.remove()
})

let runs = 0
/** A fresh directory under the test's temp directory. */
async function freshDir(): Promise<string> {
  const path = join(dir.path, `run-${(runs += 1)}`)
  await mkdir(path, { recursive: true })
  return path
}

const jsonLines = (output: string): Line[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line)

const demoKeyWarnings = (lines: readonly Line[]): Line[] =>
  lines.filter((line) => String(line['msg']).includes('demo key'))

/** Runs `node sidecar/main.mjs once [...args]` in the push directory with only these settings. */
async function once(
  settings: Record<string, string>,
  args: readonly string[] = [],
): Promise<{ code: number | null; output: string; lines: Line[] }> {
  const work = await freshDir()
  const child = run(process.execPath, [sidecarMain, 'once', ...args], {
    cwd: pushDir,
    env: cleanEnv({ TMPDIR: work, CONFIG_CACHE_DIR: join(work, 'cache'), ...settings }),
  })
  const code = await child.exited
  const output = child.output()
  return { code, output, lines: jsonLines(output) }
}

/** The demo-key warning of the serving sidecar started with these settings. */
async function servingWarning(settings: Record<string, string>): Promise<Line> {
  const sidecar = await spawnSidecar(await freshDir(), settings)
  try {
    return JSON.parse(await sidecar.proc.waitForOutput(/shipped demo key/)) as Line
  } finally {
    await sidecar.stop()
  }
}

const withoutTime = (line: Line): Line =>
  Object.fromEntries(Object.entries(line).filter(([name]) => name !== 'time'))

describe('config-sidecar once with the shipped demo key', () => {
  it('warns once, with the same message and fields as serving mode, and still succeeds', async () => {
    const settings = { CONFIG_SOURCE: `file:${sampleConfig}`, CONFIG_KEYS: `file:${demoKeys}` }
    const [result, serving] = await Promise.all([once(settings), servingWarning(settings)])
    expect(result.code, result.output).toBe(0)
    const warnings = demoKeyWarnings(result.lines)
    expect(warnings, result.output).toHaveLength(1)
    const [warning] = warnings as [Line]
    expect(warning).toMatchObject({
      level: 'warn',
      msg: 'CONFIG_KEYS holds the shipped demo key, which is public',
      kids: DEMO_KIDS,
    })
    expect(String(warning['fix'])).toContain('keygen')
    expect(withoutTime(warning)).toEqual(withoutTime(serving))
    // The run itself went on: every secret of the sample decrypted.
    const done = result.lines.find((line) => line['snapshot'] !== undefined)
    expect(done, result.output).toMatchObject({ level: 'info' })
    expect(done!['secrets']).toBeGreaterThan(0)
    // No key material in anything it printed.
    const { keys } = JSON.parse(await readFile(demoKeys, 'utf8')) as { keys: Jwk[] }
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'n', 'x', 'y']) {
        if (key[member] !== undefined) expect(result.output).not.toContain(key[member])
      }
    }
  })

  it('warns when the demo key comes from --default-keys, as the manifest passes it', async () => {
    const result = await once({}, [
      '--default-source',
      'file:samples/config',
      '--default-keys',
      'samples/demo-only.private.jwks.json',
    ])
    expect(result.code, result.output).toBe(0)
    expect(demoKeyWarnings(result.lines), result.output).toMatchObject([{ kids: DEMO_KIDS }])
  })

  it('finds a copy of a demo key under another kid, by its thumbprint', async () => {
    const { keys } = JSON.parse(await readFile(demoKeys, 'utf8')) as { keys: Jwk[] }
    const copied = { keys: [{ ...keys[1]!, kid: 'prod-2026' }] }
    const result = await once({
      CONFIG_SOURCE: `file:${plainConfig}`,
      CONFIG_KEYS: JSON.stringify(copied),
    })
    expect(result.code, result.output).toBe(0)
    expect(demoKeyWarnings(result.lines), result.output).toMatchObject([
      { level: 'warn', kids: 'prod-2026' },
    ])
  })

  it('warns before it fails, so that a failed dry run says it too', async () => {
    const result = await once({
      CONFIG_SOURCE: `http://127.0.0.1:${await closedPort()}/closed`,
      CONFIG_KEYS: `file:${demoKeys}`,
    })
    expect(result.code, result.output).toBe(1)
    expect(demoKeyWarnings(result.lines), result.output).toMatchObject([{ kids: DEMO_KIDS }])
    expect(result.lines.find((line) => line['level'] === 'error')).toMatchObject({
      code: 'ERR_UPSTREAM_UNAVAILABLE',
    })
  })
})

describe('config-sidecar once without the demo key', () => {
  it('with keys of its own (made by keygen at test time): no demo-key warning', async () => {
    const work = await freshDir()
    const keygen = run(
      process.execPath,
      [sidecarMain, 'keygen', '--type', 'ec', '--kid', 'own-2026', '--out', join(work, 'own')],
      { cwd: work, env: cleanEnv({}) },
    )
    expect(await keygen.exited, keygen.output()).toBe(0)
    const result = await once({
      CONFIG_SOURCE: `file:${plainConfig}`,
      CONFIG_KEYS: `file:${join(work, 'own.private.jwks.json')}`,
    })
    expect(result.code, result.output).toBe(0)
    expect(demoKeyWarnings(result.lines)).toEqual([])
    expect(result.lines.filter((line) => line['level'] === 'warn')).toEqual([])
  })

  it('with no keys at all: no demo-key warning', async () => {
    const result = await once({ CONFIG_SOURCE: `file:${plainConfig}` })
    expect(result.code, result.output).toBe(0)
    expect(demoKeyWarnings(result.lines)).toEqual([])
  })
})
