// CONFIG_ON_CHANGE with the real /bin/sh: its environment, one run at a time with at most one queued,
// its output in the log line by line and bounded, failures and timeouts counted and never fatal,
// and the timeout killing the whole process group.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'
import { createOnChangeRunner } from '../../src/files/on-change.js'
import type { OnChangeRunner } from '../../src/files/on-change.js'

let dir: { path: string; remove: () => Promise<void> }
let runner: OnChangeRunner | undefined

beforeEach(async () => {
  dir = await tempDir('config-sidecar-on-change-')
})
afterEach(async () => {
  await runner?.stop()
  runner = undefined
  await dir.remove()
})

/** True once `pid` has exited (a zombie not reaped yet counts as gone). */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
}

const v = (version: string) => servedConfig({ version }, version)
const lines = async (file: string): Promise<string[]> =>
  (await readFile(join(dir.path, file), 'utf8').catch(() => '')).split('\n').filter(Boolean)

function start(command: string, options: { timeoutMs?: number; baseEnv?: NodeJS.ProcessEnv } = {}) {
  const log = recordingLogger()
  runner = createOnChangeRunner({
    command: `cd '${dir.path}' || exit 9\n${command}`,
    logger: log.logger,
    timeoutMs: options.timeoutMs,
    baseEnv: options.baseEnv ?? { PATH: process.env['PATH'] },
  })
  return { runner, log }
}

describe('the on-change command', () => {
  it('gets CONFIG_VERSION, and the sidecar environment without its keys, credentials and token', async () => {
    const { runner } = start(
      'printf "%s|%s|%s|%s|%s|%s|%s\\n" "$CONFIG_VERSION" "${CONFIG_KEYS-unset}" "${CONFIG_CLIENT_SECRET-unset}" "${CONFIG_BEARER_TOKEN-unset}" "${CONFIG_SIDECAR_TOKEN-unset}" "${VCAP_SERVICES-unset}" "$KEEP" >> env.txt',
      {
        baseEnv: {
          PATH: process.env['PATH'],
          KEEP: 'kept',
          CONFIG_KEYS: '{"keys":[]}',
          CONFIG_CLIENT_SECRET: 'client-secret',
          CONFIG_BEARER_TOKEN: 'bearer',
          CONFIG_SIDECAR_TOKEN: 'local-token',
          VCAP_SERVICES: '{"p.config-server":[]}',
        },
      },
    )
    runner.request(v('v1'))
    await runner.idle()
    expect(await lines('env.txt')).toEqual(['v1|unset|unset|unset|unset|unset|kept'])
    expect(runner.status()).toMatchObject({
      running: false,
      queued: false,
      runs: { ok: 1, failed: 0, timeout: 0, error: 0 },
      last: { version: 'v1', outcome: 'ok', exitCode: 0, signal: null },
    })
  })

  it('runs one at a time; changes during a run queue one more run, for the newest config', async () => {
    const { runner } = start(
      'echo "$CONFIG_VERSION start" >> runs.txt; sleep 0.3; echo "$CONFIG_VERSION end" >> runs.txt',
    )
    const before = Date.now()
    runner.request(v('v1'))
    await waitFor(async () => ((await lines('runs.txt')).length > 0 ? true : undefined))
    for (const version of ['v2', 'v3', 'v4']) runner.request(v(version))
    // Requests return at once: a run never holds up the caller (the store, serving).
    expect(Date.now() - before).toBeLessThan(250)
    expect(runner.status()).toMatchObject({ running: true, queued: true })
    await runner.idle()
    expect(await lines('runs.txt')).toEqual(['v1 start', 'v1 end', 'v4 start', 'v4 end'])
    expect(runner.status().runs.ok).toBe(2)
  })

  it('logs the output line by line at info level, at most 100 lines, each cut at 1000 characters', async () => {
    const { runner, log } = start(
      'printf "%05000d\\n" 7; i=0; while [ $i -lt 150 ]; do echo "line $i"; i=$((i+1)); done; echo oops >&2',
    )
    runner.request(v('v1'))
    await runner.idle()
    const output = log.lines.filter((line) => line['msg'] === 'on-change output')
    expect(output).toHaveLength(100)
    expect(output.every((line) => line['level'] === 'info')).toBe(true)
    expect(output[0]).toMatchObject({ stream: 'stdout', line: `${'0'.repeat(1000)}…` })
    expect(output[1]).toMatchObject({ stream: 'stdout', line: 'line 0' })
    expect(output[99]).toMatchObject({ line: 'line 98' })
    expect(log.lines.find((line) => line['msg'] === 'on-change output cut')).toMatchObject({
      loggedLines: 100,
      droppedLines: 52,
    })
  })

  it('logs and counts a failing command, and runs again at the next change', async () => {
    const { runner, log } = start('echo "failing for $CONFIG_VERSION" >&2; exit 3')
    runner.request(v('v1'))
    await runner.idle()
    expect(runner.status()).toMatchObject({
      runs: { ok: 0, failed: 1 },
      last: { outcome: 'failed', exitCode: 3 },
    })
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'on-change output',
        stream: 'stderr',
        line: 'failing for v1',
      }),
    )
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'the on-change command failed', exitCode: 3 }),
    )
    runner.request(v('v2'))
    await runner.idle()
    expect(runner.status().runs.failed).toBe(2)
  })

  it('kills the whole process group at the timeout', async () => {
    const { runner, log } = start('sleep 30 & echo $! > bg.pid; sleep 30', { timeoutMs: 300 })
    const started = Date.now()
    runner.request(v('v1'))
    await runner.idle()
    expect(Date.now() - started).toBeLessThan(3000)
    expect(runner.status().last).toMatchObject({
      outcome: 'timeout',
      exitCode: null,
      signal: 'SIGKILL',
    })
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'the on-change command timed out; its process group was killed',
        timeoutMs: 300,
      }),
    )
    // The background child of the command died with it.
    const pid = Number((await readFile(join(dir.path, 'bg.pid'), 'utf8')).trim())
    await waitFor(async () => ((await isGone(pid)) ? true : undefined))
  })

  it('does not wait for a process the command leaves running in the background', async () => {
    const { runner } = start('sleep 3 & echo started')
    const started = Date.now()
    runner.request(v('v1'))
    await runner.idle()
    expect(Date.now() - started).toBeLessThan(1500)
    expect(runner.status().last).toMatchObject({ outcome: 'ok' })
  })

  it('kills a running command at stop and drops the queued run', async () => {
    const { runner } = start('echo "$CONFIG_VERSION" >> runs.txt; sleep 30')
    runner.request(v('v1'))
    await waitFor(async () => ((await lines('runs.txt')).length > 0 ? true : undefined))
    runner.request(v('v2'))
    const started = Date.now()
    await runner.stop()
    expect(Date.now() - started).toBeLessThan(2000)
    await sleep(200)
    expect(await lines('runs.txt')).toEqual(['v1'])
  })
})
