// The files of CONFIG_WRITE_FILE at their edges, on a real file system: what is logged and shown in
// /status for a refused render, a failed write and a written pass; the .env values dotenv may
// misread; retrying only failed writes; reading the file again after a failure but trusting what
// it wrote otherwise; and stop (it waits for the pass in progress, then writes and retries nothing).
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'
import { createConfigFiles } from '../../src/files/config-files.js'
import type { ConfigFiles } from '../../src/files/config-files.js'
import type { WriteFile } from '../../src/settings/types.js'

let dir: { path: string; remove: () => Promise<void> }
const open: ConfigFiles[] = []

beforeEach(async () => {
  dir = await tempDir('config-sidecar-files-edges-')
})
afterEach(async () => {
  for (const files of open.splice(0)) await files.stop()
  await dir.remove()
})

const at = (...names: string[]): string => join(dir.path, ...names)

function writer(
  files: readonly WriteFile[],
  options: { onChange?: string; retryMs?: number } = {},
): { files: ConfigFiles; log: ReturnType<typeof recordingLogger> } {
  const log = recordingLogger()
  const created = createConfigFiles({
    files,
    onChange:
      options.onChange === undefined
        ? undefined
        : `cd '${dir.path}' || exit 9\n${options.onChange}`,
    logger: log.logger,
    baseEnv: { PATH: process.env['PATH'] },
    retryMs: options.retryMs ?? 60_000,
  })
  open.push(created)
  return { files: created, log }
}

const messages = (log: ReturnType<typeof recordingLogger>, msg: string) =>
  log.lines.filter((line) => line['msg'] === msg)

/** Puts a plain file where the directory `name` should be, so that writes beneath it fail. */
async function block(name: string): Promise<void> {
  await rm(at(name), { recursive: true, force: true })
  await writeFile(at(name), 'a file where a directory should be')
}
async function unblock(name: string): Promise<void> {
  await rm(at(name), { force: true })
  await mkdir(at(name))
}

describe('the files of CONFIG_WRITE_FILE, at their edges', () => {
  it('logs a refused render with what it means for the file, once, and does not try it again', async () => {
    const { files, log } = writer([{ path: at('app.env'), format: 'env' }], { retryMs: 50 })
    const pass = await files.update(servedConfig({ a: { b: 'one' }, a_b: 'two' }, 'v1'))
    expect(pass.files[0]).toMatchObject({ outcome: 'refused' })
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'a file of CONFIG_WRITE_FILE cannot hold this config; it keeps what it had',
        path: at('app.env'),
        format: 'env',
        version: 'v1',
      }),
    )
    // A refusal is no failure: nothing is tried again.
    await sleep(400)
    expect(files.status().writes).toEqual({ written: 0, failed: 0, refused: 1 })
    expect(log.lines.filter((line) => line['level'] === 'error')).toHaveLength(1)
  })

  it('logs a failed write and shows it in the status with its code, and never a value', async () => {
    await block('blocked')
    const path = at('blocked', 'app.properties')
    const { files, log } = writer([{ path, format: 'properties' }])
    const pass = await files.update(servedConfig({ secret: 'hush' }, 'v1'))
    // mkdir answers EEXIST or ENOTDIR for a file in the way, depending on the platform.
    const code = /: (ENOTDIR|EEXIST)$/.exec(pass.files[0]?.reason ?? '')?.[1]
    expect(code).toBeDefined()
    expect(pass.files[0]).toEqual({
      path,
      format: 'properties',
      outcome: 'failed',
      reason: `cannot write ${path}: ${code}`,
    })
    expect(files.status().files[0]).toMatchObject({
      version: null,
      lastError: { outcome: 'failed', reason: `cannot write ${path}: ${code}` },
    })
    expect(
      messages(log, 'could not write a file of CONFIG_WRITE_FILE; trying again later'),
    ).toEqual([expect.objectContaining({ level: 'warn', path, version: 'v1', code })])
    expect(log.text()).not.toContain('hush')
  })

  it('tries a failed file again while another file of the same pass was written', async () => {
    await block('blocked')
    const { files } = writer(
      [
        { path: at('app.json'), format: 'json' },
        { path: at('blocked', 'app.json'), format: 'json' },
      ],
      { retryMs: 100 },
    )
    const pass = await files.update(servedConfig({ v: 1 }, 'v1'))
    expect(pass.files.map((file) => file.outcome)).toEqual(['written', 'failed'])
    await unblock('blocked')
    await waitFor(() => (files.status().files[1]?.version === 'v1' ? true : undefined), {
      timeoutMs: 5000,
    })
    expect(await readFile(at('blocked', 'app.json'), 'utf8')).toBe('{"v":1}')
  })

  it('logs the files a pass wrote, and no such line for a pass that wrote none', async () => {
    const { files, log } = writer([
      { path: at('app.json'), format: 'json' },
      { path: at('app.yaml'), format: 'yaml' },
    ])
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await files.update(servedConfig({ v: 1 }, 'v2'))
    expect(messages(log, 'config files written')).toEqual([
      expect.objectContaining({
        level: 'info',
        version: 'v1',
        files: `${at('app.json')},${at('app.yaml')}`,
      }),
    ])
  })

  it('warns, naming the keys and no value, about .env values that dotenv parsers may misread', async () => {
    const { files, log } = writer([{ path: at('app.env'), format: 'env' }])
    await files.update(servedConfig({ plain: 'fine', quoted: `it's "x"` }, 'v1'))
    const warning = 'values in the .env file that sh reads exactly but dotenv parsers may not'
    expect(messages(log, warning)).toEqual([
      expect.objectContaining({ level: 'warn', path: at('app.env'), keys: 'quoted', more: 0 }),
    ])
    expect(log.text()).not.toContain('it\'s "x"')

    // At most 100 keys are named; the line says how many more there are.
    const many: Record<string, string> = {}
    for (let i = 0; i < 101; i += 1) many[`k${String(i).padStart(3, '0')}`] = `it's "${i}"`
    await files.update(servedConfig(many, 'v2'))
    const names = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`)
    expect(messages(log, warning).at(-1)).toMatchObject({ keys: names.join(','), more: 1 })

    // A config whose values dotenv reads as well brings no warning.
    await files.update(servedConfig({ plain: 'fine' }, 'v3'))
    expect(messages(log, warning)).toHaveLength(2)
  })

  it('compares a new config with what it wrote: an unchanged config leaves a hand-edited file alone', async () => {
    const { files } = writer([{ path: at('app.json'), format: 'json' }])
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await writeFile(at('app.json'), 'edited by hand')
    const pass = await files.update(servedConfig({ v: 1 }, 'v2'))
    expect(pass.files[0]).toMatchObject({ outcome: 'unchanged' })
    expect(await readFile(at('app.json'), 'utf8')).toBe('edited by hand')
  })

  it('after a failed write, reads the file again: a file lost meanwhile is written even for the config it held', async () => {
    const path = at('dir', 'app.properties')
    const { files } = writer([{ path, format: 'properties' }])
    await mkdir(at('dir'))
    await files.update(servedConfig({ v: 1 }, 'v1'))
    await block('dir')
    const failed = await files.update(servedConfig({ v: 2 }, 'v2'))
    expect(failed.files[0]).toMatchObject({ outcome: 'failed' })
    // The directory comes back empty, and the config goes back to what the file held before.
    await unblock('dir')
    const back = await files.update(servedConfig({ v: 1 }, 'v3'))
    expect(back.files[0]).toMatchObject({ outcome: 'written' })
    expect(await readFile(path, 'utf8')).toBe('v=1\n')
  })

  it('settled() waits for a pass still in progress and for the command it runs', async () => {
    const { files } = writer([{ path: at('app.json'), format: 'json' }], {
      onChange: 'echo "$CONFIG_VERSION" >> hook.log',
    })
    void files.update(servedConfig({ v: 1 }, 'v1'))
    await files.settled()
    expect(await readFile(at('hook.log'), 'utf8')).toBe('v1\n')
  })

  it('stop() waits for the pass in progress', async () => {
    const { files } = writer([{ path: at('app.json'), format: 'json' }])
    const pass = files.update(servedConfig({ v: 1 }, 'v1'))
    await files.stop()
    expect(files.status().files[0]).toMatchObject({ version: 'v1' })
    expect((await pass).files[0]).toMatchObject({ outcome: 'written' })
  })

  it('keeps one retry for failures in a row, and stop cancels it', async () => {
    await block('blocked')
    const path = at('blocked', 'app.json')
    const { files } = writer([{ path, format: 'json' }], { retryMs: 1000 })
    expect((await files.update(servedConfig({ v: 1 }, 'v1'))).files[0]).toMatchObject({
      outcome: 'failed',
    })
    expect((await files.update(servedConfig({ v: 2 }, 'v2'))).files[0]).toMatchObject({
      outcome: 'failed',
    })
    await files.stop()
    await unblock('blocked')
    // Past the time of any retry: none comes, so the file is not written after stop.
    await sleep(1500)
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(files.status().writes).toEqual({ written: 0, failed: 2, refused: 0 })
  })

  it('after stop, writes nothing: neither a new config nor a retry of a write that failed during it', async () => {
    await block('blocked')
    const path = at('blocked', 'app.json')
    const { files } = writer([{ path, format: 'json' }], { retryMs: 50 })
    const pass = files.update(servedConfig({ v: 1 }, 'v1'))
    await files.stop()
    expect((await pass).files[0]).toMatchObject({ outcome: 'failed' })
    await unblock('blocked')
    expect(await files.update(servedConfig({ v: 2 }, 'v2'))).toEqual({
      version: 'v2',
      files: [],
      changed: false,
    })
    await sleep(400)
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(files.status().writes).toEqual({ written: 0, failed: 1, refused: 0 })
  })
})
