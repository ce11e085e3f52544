// Config as files in a running (in-process) sidecar: the files follow the served config, the
// on-change command's runs show in /status and /metrics, and a restart during an outage writes the
// snapshot's config to the files before the listener opens.
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { waitFor } from '../../../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: InProcessSidecar | undefined

beforeEach(async () => {
  dir = await tempDir('config-sidecar-files-')
})
afterEach(async () => {
  await sidecar?.stop()
  sidecar = undefined
  await dir.remove()
})

const at = (name: string): string => join(dir.path, name)
const lines = async (name: string): Promise<string[]> =>
  (await readFile(at(name), 'utf8').catch(() => '')).split('\n').filter(Boolean)

function settings(): Record<string, string> {
  return {
    CONFIG_SOURCE: `file:${at('source.json')}`,
    CONFIG_CACHE_DIR: at('cache'),
    CONFIG_WRITE_FILE: `${at('app.properties')},${at('app.env')}`,
    CONFIG_ON_CHANGE: `echo "$CONFIG_VERSION" >> '${at('hook.log')}'`,
  }
}

describe('a sidecar with CONFIG_WRITE_FILE and CONFIG_ON_CHANGE', () => {
  it('writes the files for every change, runs the command once per change, and reports both', async () => {
    await writeFile(at('source.json'), JSON.stringify({ greeting: 'one' }))
    sidecar = await startInProcessSidecar(settings())
    await sidecar.firstRefresh
    await waitFor(async () => ((await lines('hook.log')).length === 1 ? true : undefined))
    expect(await readFile(at('app.properties'), 'utf8')).toBe('greeting=one\n')
    expect(await readFile(at('app.env'), 'utf8')).toBe("GREETING='one'\n")
    expect((await stat(at('app.env'))).mode & 0o777).toBe(0o600)

    await writeFile(at('source.json'), JSON.stringify({ greeting: 'two' }))
    await waitFor(async () => ((await lines('hook.log')).length === 2 ? true : undefined))
    expect(await readFile(at('app.properties'), 'utf8')).toBe('greeting=two\n')
    const version = (await sidecar.get('/config/')).headers.get('x-config-version')
    expect((await lines('hook.log'))[1]).toBe(version)

    const status = (await (await sidecar.get('/status')).json()) as Record<string, unknown>
    expect(status['files']).toEqual([
      expect.objectContaining({
        path: at('app.properties'),
        format: 'properties',
        version,
        lastError: null,
      }),
      expect.objectContaining({ path: at('app.env'), format: 'env', version, lastError: null }),
    ])
    expect(status['onChange']).toMatchObject({
      running: false,
      queued: false,
      runs: { ok: 2, failed: 0, timeout: 0, error: 0 },
      last: { version, outcome: 'ok', exitCode: 0 },
    })
    const metrics = await (await sidecar.get('/metrics')).text()
    expect(metrics).toContain('config_sidecar_file_writes_total{outcome="written"} 4')
    expect(metrics).toContain('config_sidecar_on_change_runs_total{outcome="ok"} 2')
    expect(metrics).toContain('config_sidecar_on_change_last_exit_code 0')
    // No value of the config in the log: the command's output is, and it printed versions only.
    expect(sidecar.logs.join('\n')).not.toContain('greeting=')
  })

  it('counts a failing command in /status and /metrics and keeps serving', async () => {
    await writeFile(at('source.json'), JSON.stringify({ greeting: 'one' }))
    sidecar = await startInProcessSidecar({ ...settings(), CONFIG_ON_CHANGE: 'exit 4' })
    await sidecar.firstRefresh
    await waitFor(async () => {
      const status = (await (await sidecar!.get('/status')).json()) as {
        onChange: { last: { exitCode: number } | null }
      }
      return status.onChange.last?.exitCode === 4 ? true : undefined
    })
    const metrics = await (await sidecar.get('/metrics')).text()
    expect(metrics).toContain('config_sidecar_on_change_runs_total{outcome="failed"} 1')
    expect(metrics).toContain('config_sidecar_on_change_last_exit_code 4')
    expect((await sidecar.get('/config/')).status).toBe(200)
  })

  it('at a restart during an outage, writes the snapshot to the files before it listens', async () => {
    await writeFile(at('source.json'), JSON.stringify({ greeting: 'kept' }))
    sidecar = await startInProcessSidecar(settings())
    await sidecar.firstRefresh
    await waitFor(async () => ((await lines('hook.log')).length === 1 ? true : undefined))
    await sidecar.stop()
    sidecar = undefined

    // The source is broken and the files are gone (a new pod, a memory-backed volume).
    await writeFile(at('source.json'), '{"greeting": ')
    await rm(at('app.properties'))
    await rm(at('app.env'))
    sidecar = await startInProcessSidecar(settings())
    // start() has resolved: the listener is open, and the files are already there.
    expect(await readFile(at('app.properties'), 'utf8')).toBe('greeting=kept\n')
    expect(await readFile(at('app.env'), 'utf8')).toBe("GREETING='kept'\n")
    const answer = await sidecar.get('/config/')
    expect(answer.headers.get('x-config-stale')).toBe('true')
    await sidecar.firstRefresh
    expect(await readFile(at('app.properties'), 'utf8')).toBe('greeting=kept\n')
  })
})
