// The files of CONFIG_WRITE_FILE, on a real file system: each in its format, mode 0600, replaced
// atomically and only when its bytes change; CONFIG_ON_CHANGE after the files, once per change; a
// restart that finds the same bytes rewrites nothing; refused renders and failed writes keep the old
// file and are logged and counted.
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { waitFor } from '../../../../test-support/wait.js'
import { createConfigFiles } from '../../src/files/config-files.js'
import type { ConfigFiles } from '../../src/files/config-files.js'
import type { WriteFile } from '../../src/settings/types.js'

let dir: { path: string; remove: () => Promise<void> }
const open: ConfigFiles[] = []

beforeEach(async () => {
  dir = await tempDir('config-sidecar-files-')
  ALL = allFiles()
})
afterEach(async () => {
  for (const files of open.splice(0)) await files.stop()
  await dir.remove()
})

const at = (name: string): string => join(dir.path, name)
let ALL: WriteFile[]
const allFiles = (): WriteFile[] => [
  { path: at('app.json'), format: 'json' },
  { path: at('app.flat.json'), format: 'flat' },
  { path: at('app.properties'), format: 'properties' },
  { path: at('app.env'), format: 'env' },
  { path: at('app.yaml'), format: 'yaml' },
]
const DOCUMENT = { app: { name: 'demo', greeting: 'it\'s "here" = #1' }, list: [{ a: 1 }] }

function writer(
  files: readonly WriteFile[],
  onChange?: string,
  extra: { retryMs?: number } = {},
): { files: ConfigFiles; log: ReturnType<typeof recordingLogger> } {
  const log = recordingLogger()
  const created = createConfigFiles({
    files,
    onChange: onChange === undefined ? undefined : `cd '${dir.path}' || exit 9\n${onChange}`,
    logger: log.logger,
    baseEnv: { PATH: process.env['PATH'] },
    ...extra,
  })
  open.push(created)
  return { files: created, log }
}

const lines = async (name: string): Promise<string[]> =>
  (await readFile(at(name), 'utf8').catch(() => '')).split('\n').filter(Boolean)

describe('the files of CONFIG_WRITE_FILE', () => {
  it('writes each file in its format, mode 0600, with the bytes GET /config/?format= serves', async () => {
    const { files } = writer(ALL)
    const served = servedConfig(DOCUMENT, 'v1')
    const pass = await files.update(served)
    expect(pass.changed).toBe(true)
    expect(pass.files.map((file) => file.outcome)).toEqual(Array(5).fill('written'))
    for (const file of ALL) {
      expect((await stat(file.path)).mode & 0o777, file.path).toBe(0o600)
      const view = served.format(file.format, false)
      expect('body' in view && (await readFile(file.path)).equals(view.body), file.path).toBe(true)
    }
    expect(await readFile(at('app.json'), 'utf8')).toBe(served.full.body.toString('utf8'))
    expect(await readdir(dir.path)).toHaveLength(5)
  })

  it('replaces a changed file atomically (a new inode, no temp file left), and only a changed one', async () => {
    const { files } = writer(ALL)
    await files.update(servedConfig(DOCUMENT, 'v1'))
    const before = new Map(
      await Promise.all(ALL.map(async (file) => [file.path, await stat(file.path)] as const)),
    )
    // The same content under another version: nothing is rewritten.
    const same = await files.update(servedConfig(structuredClone(DOCUMENT), 'v2'))
    expect(same.changed).toBe(false)
    expect(same.files.map((file) => file.outcome)).toEqual(Array(5).fill('unchanged'))
    for (const file of ALL) {
      const now = await stat(file.path)
      expect(now.ino, file.path).toBe(before.get(file.path)!.ino)
      expect(now.mtimeMs, file.path).toBe(before.get(file.path)!.mtimeMs)
    }
    const changed = await files.update(servedConfig({ ...DOCUMENT, added: true }, 'v3'))
    expect(changed.changed).toBe(true)
    for (const file of ALL)
      expect((await stat(file.path)).ino, file.path).not.toBe(before.get(file.path)!.ino)
    expect((await readdir(dir.path)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    expect(files.status().writes).toEqual({ written: 10, failed: 0, refused: 0 })
  })

  it('runs CONFIG_ON_CHANGE after the files are written, once per change, never for an unchanged config', async () => {
    const { files } = writer(
      [{ path: at('app.properties'), format: 'properties' }],
      'echo "$CONFIG_VERSION $(cat app.properties | tr "\\n" " ")" >> hook.log',
    )
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await files.settled()
    await files.update(servedConfig({ v: 1 }, 'v1-again'))
    await files.update(servedConfig({ v: 2 }, 'v2'))
    await files.settled()
    expect(await lines('hook.log')).toEqual(['v1 v=1 ', 'v2 v=2 '])
    expect(files.status().onChange).toMatchObject({ runs: { ok: 2 }, last: { version: 'v2' } })
  })

  it('writes only the newest of the configs that arrive while it writes, and answers every caller', async () => {
    const { files } = writer(ALL, 'echo "$CONFIG_VERSION" >> hook.log')
    const passes = await Promise.all(
      ['v1', 'v2', 'v3', 'v4'].map((version) => files.update(servedConfig({ version }, version))),
    )
    await files.settled()
    // v1 is written at once; v2 and v3 are overtaken by v4 before their turn.
    expect(passes.map((pass) => pass.version)).toEqual(['v1', 'v4', 'v4', 'v4'])
    expect(JSON.parse(await readFile(at('app.json'), 'utf8'))).toEqual({ version: 'v4' })
    const runs = await lines('hook.log')
    expect(runs[0]).toBe('v1')
    expect(runs.at(-1)).toBe('v4')
    expect(runs.length).toBeLessThanOrEqual(2)
  })

  it('after a restart, rewrites nothing and runs nothing when the files already hold the config', async () => {
    const first = writer(ALL, 'echo "$CONFIG_VERSION" >> hook.log')
    await first.files.update(servedConfig(DOCUMENT, 'v1'))
    await first.files.settled()
    await first.files.stop()
    const inodes = await Promise.all(ALL.map(async (file) => (await stat(file.path)).ino))

    const second = writer(ALL, 'echo "$CONFIG_VERSION" >> hook.log')
    const pass = await second.files.update(servedConfig(structuredClone(DOCUMENT), 'v1'))
    await second.files.settled()
    expect(pass.changed).toBe(false)
    expect(await Promise.all(ALL.map(async (file) => (await stat(file.path)).ino))).toEqual(inodes)
    expect(await lines('hook.log')).toEqual(['v1'])

    // A restart that finds other bytes (a file deleted meanwhile) writes it and runs the command.
    await rm(at('app.env'))
    const third = writer(ALL, 'echo "$CONFIG_VERSION" >> hook.log')
    const again = await third.files.update(servedConfig(structuredClone(DOCUMENT), 'v1'))
    await third.files.settled()
    expect(
      again.files.filter((file) => file.outcome === 'written').map((file) => file.path),
    ).toEqual([at('app.env')])
    expect(await lines('hook.log')).toEqual(['v1', 'v1'])
  })

  it('keeps a file whose format cannot hold the config, logs both paths (no value) and counts it', async () => {
    const { files, log } = writer(
      [
        { path: at('app.env'), format: 'env' },
        { path: at('app.properties'), format: 'properties' },
      ],
      'echo "$CONFIG_VERSION" >> hook.log',
    )
    await files.update(servedConfig({ a: { b: 'one' } }, 'v1'))
    const before = await readFile(at('app.env'), 'utf8')
    const pass = await files.update(servedConfig({ a: { b: 'one' }, a_b: 'two-secret' }, 'v2'))
    await files.settled()
    expect(pass.files.map((file) => file.outcome)).toEqual(['refused', 'written'])
    expect(await readFile(at('app.env'), 'utf8')).toBe(before)
    expect(await readFile(at('app.properties'), 'utf8')).toContain('a_b=two-secret')
    const refusal = log.lines.find((line) => line['level'] === 'error')
    expect(refusal).toMatchObject({
      path: at('app.env'),
      reason: 'the keys a.b and a_b are both A_B in .env',
    })
    expect(log.text()).not.toContain('two-secret')
    expect(files.status().writes.refused).toBe(1)
    // The file still holds v1.
    expect(files.status().files[0]).toMatchObject({
      version: 'v1',
      lastError: { outcome: 'refused', reason: 'the keys a.b and a_b are both A_B in .env' },
    })
    expect(await lines('hook.log')).toEqual(['v1', 'v2'])
  })

  it('logs and counts a failed write, keeps serving, and writes the file once it can', async () => {
    const blocked = join(dir.path, 'blocked')
    await writeFile(blocked, 'a file where a directory should be')
    const { files, log } = writer(
      [{ path: join(blocked, 'app.properties'), format: 'properties' }],
      'echo "$CONFIG_VERSION" >> hook.log',
      { retryMs: 100 },
    )
    const pass = await files.update(servedConfig({ v: 1 }, 'v1'))
    expect(pass.files[0]).toMatchObject({ outcome: 'failed' })
    expect(pass.changed).toBe(false)
    expect(log.lines.find((line) => line['level'] === 'warn')).toMatchObject({
      path: join(blocked, 'app.properties'),
      code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/),
    })
    expect(files.status().writes.failed).toBeGreaterThanOrEqual(1)
    await rm(blocked)
    await mkdir(blocked)
    await waitFor(async () => ((await lines('hook.log')).length === 1 ? true : undefined), {
      timeoutMs: 3000,
    })
    expect(await readFile(join(blocked, 'app.properties'), 'utf8')).toBe('v=1\n')
    expect(files.status().files[0]).toMatchObject({ version: 'v1', lastError: undefined })
  })

  it('with CONFIG_ON_CHANGE and no files, runs it for every new config', async () => {
    const { files } = writer([], 'echo "$CONFIG_VERSION" >> hook.log')
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await files.settled()
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await files.update(servedConfig({ v: 2 }, 'v2'))
    await files.settled()
    expect(await lines('hook.log')).toEqual(['v1', 'v2'])
  })
})
