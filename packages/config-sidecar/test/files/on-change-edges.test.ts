// CONFIG_ON_CHANGE at its edges, with the real /bin/sh: the log lines of a run (start, success,
// duration from the clock), a command that cannot be started, a request after stop, an empty stdin,
// and the output split into lines exactly: lines split across writes, a last line without an end,
// carriage returns, the length limit, and nothing logged from the background once a run is over.
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
  dir = await tempDir('config-sidecar-on-change-edges-')
})
afterEach(async () => {
  await runner?.stop()
  runner = undefined
  await dir.remove()
})

const v = (version: string) => servedConfig({ version }, version)
const lines = async (file: string): Promise<string[]> =>
  (await readFile(join(dir.path, file), 'utf8').catch(() => '')).split('\n').filter(Boolean)

function start(
  command: string,
  options: { timeoutMs?: number; now?: () => number } = {},
): { runner: OnChangeRunner; log: ReturnType<typeof recordingLogger> } {
  const log = recordingLogger()
  runner = createOnChangeRunner({
    command: `cd '${dir.path}' || exit 9\n${command}`,
    logger: log.logger,
    timeoutMs: options.timeoutMs,
    baseEnv: { PATH: process.env['PATH'] },
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  return { runner, log }
}

/** The output lines the run logged, in order. */
const output = (log: ReturnType<typeof recordingLogger>): unknown[] =>
  log.lines.filter((line) => line['msg'] === 'on-change output').map((line) => line['line'])

describe('the on-change command, at its edges', () => {
  it('logs its start and its success with the version, exit status and the duration by the clock', async () => {
    let clock = 1000
    const { runner, log } = start('echo hello', { now: () => (clock += 250) })
    runner.request(v('v1'))
    await runner.idle()
    const messages = log.lines.map((line) => `${String(line['level'])} ${String(line['msg'])}`)
    expect(messages).toEqual([
      'info running the on-change command',
      'info on-change output',
      'info the on-change command succeeded',
    ])
    expect(log.lines[0]).toMatchObject({ version: 'v1' })
    expect(log.lines[2]).toMatchObject({
      version: 'v1',
      exitCode: 0,
      signal: null,
      durationMs: 250,
    })
    expect(runner.status().last).toMatchObject({ startedAt: 1250, durationMs: 250, outcome: 'ok' })
  })

  it('logs and counts a command that cannot be started, and is not stopped by it', async () => {
    const { runner, log } = start('echo a\u0000b')
    runner.request(v('v1'))
    await runner.idle()
    expect(runner.status()).toMatchObject({
      running: false,
      runs: { ok: 0, failed: 0, timeout: 0, error: 1 },
      last: { version: 'v1', outcome: 'error', exitCode: null, signal: null },
    })
    expect(log.lines.at(-1)).toMatchObject({
      level: 'warn',
      msg: 'the on-change command could not be started',
      version: 'v1',
      reason: expect.stringContaining('null bytes'),
    })
  })

  it('runs nothing for a request after stop', async () => {
    const { runner } = start('echo "$CONFIG_VERSION" >> runs.txt')
    runner.request(v('v1'))
    await runner.idle()
    await runner.stop()
    runner.request(v('v2'))
    expect(runner.status()).toMatchObject({ running: false, queued: false, runs: { ok: 1 } })
    await runner.idle()
    await sleep(300)
    expect(await lines('runs.txt')).toEqual(['v1'])
  })

  it('gives the command an empty stdin, so a command that reads it does not wait', async () => {
    const { runner, log } = start('cat; echo "read all"', { timeoutMs: 5000 })
    runner.request(v('v1'))
    await runner.idle()
    expect(runner.status().last).toMatchObject({ outcome: 'ok' })
    expect(output(log)).toEqual(['read all'])
  })

  it('logs a line of exactly 1000 characters whole, and a longer one that arrives in pieces cut', async () => {
    const { runner, log } = start(
      'printf "%01000d\\n" 7; printf "%05000d" 8; sleep 0.2; printf "\\n"',
    )
    runner.request(v('v1'))
    await runner.idle()
    expect(output(log)).toEqual([`${'0'.repeat(999)}7`, `${'0'.repeat(1000)}…`])
  })

  it('joins a line written in two pieces, logs a last line without an end, and drops only a final \\r', async () => {
    const { runner, log } = start(
      'printf "abc"; sleep 0.2; printf "def\\n"; printf "a\\rb\\r\\n"; printf "x\\ry\\r"',
    )
    runner.request(v('v1'))
    await runner.idle()
    expect(output(log)).toEqual(['abcdef', 'a\rb', 'x\ry'])
    // Nothing was dropped, so no line says the output was cut.
    expect(log.lines.some((line) => line['msg'] === 'on-change output cut')).toBe(false)
  })

  it('does not log what a process left in the background prints after the run is over', async () => {
    const { runner, log } = start('(sleep 0.5; echo late; echo done > late.txt) & echo early')
    runner.request(v('v1'))
    await runner.idle()
    expect(runner.status().last).toMatchObject({ outcome: 'ok' })
    await waitFor(async () => ((await lines('late.txt')).length > 0 ? true : undefined))
    await sleep(300)
    expect(output(log)).toEqual(['early'])
  })
})
