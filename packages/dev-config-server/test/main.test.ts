// The process (node dist/main.js); its settings are checked in process in settings.test.ts.
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import { basic, tokenRequest } from '../../../test-support/oauth.js'
import { cleanEnv, run } from '../../../test-support/processes.js'
import type { Running } from '../../../test-support/processes.js'

const MAIN = resolve(import.meta.dirname, '..', 'dist', 'main.js')

describe('node dist/main.js', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let process_: Running | undefined

  beforeEach(async () => {
    dir = await tempDir('dev-config-server-main-')
    await writeFiles(dir.path, {
      'config/application.yml': 'greeting: hello\n',
      'config/demo-app-dev.yml': 'greeting: from the process\n',
    })
  })
  afterEach(async () => {
    await process_?.stop('SIGKILL')
    process_ = undefined
    await dir.remove()
  })

  const start = (env: Record<string, string>): Running =>
    run(process.execPath, [MAIN], { cwd: dir.path, env: cleanEnv(env) })

  const portOf = async (running: Running): Promise<number> => {
    const line = await running.waitForOutput(/"msg":"listening"/)
    return (JSON.parse(line) as { port: number }).port
  }

  it('serves config from the environment settings, and exits 0 on SIGTERM', async () => {
    const secret = 'process-test-secret'
    process_ = start({
      PORT: '0',
      DEV_CONFIG_DIR: 'config',
      DEV_CONFIG_CLIENTS: `sidecar:${secret}`,
      DEV_CONFIG_TOKEN_TTL: '120',
    })
    const port = await portOf(process_)
    const url = `http://127.0.0.1:${port}`
    expect((await fetch(`${url}/demo-app/dev`)).status).toBe(401)

    const tokenResponse = await tokenRequest(url, basic('sidecar', secret))
    const token = (await tokenResponse.json()) as { access_token: string; expires_in: number }
    expect(token.expires_in).toBe(120)
    const response = await fetch(`${url}/demo-app/dev`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { propertySources: { name: string }[] }
    expect(body.propertySources.map((source) => source.name)).toEqual([
      'file:demo-app-dev.yml',
      'file:application.yml',
    ])
    // A poll that changes nothing is a debug line, left out at the default level (info).
    const poll = await fetch(`${url}/demo-app/dev`, {
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'if-none-match': response.headers.get('etag')!,
      },
    })
    expect(poll.status).toBe(304)

    expect(await process_.stop('SIGTERM')).toBe(0)
    const output = process_.output()
    for (const line of output.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow()
    expect(output).toContain(join(dir.path, 'config'))
    expect(output).toContain('"status":200')
    expect(output).not.toContain('"status":304')
    expect(output).not.toContain(secret)
    expect(output).not.toContain(token.access_token)
  })

  it('exits 1 naming the problem when a setting is bad or the directory is missing', async () => {
    process_ = start({ PORT: 'eighty' })
    expect(await process_.exited).toBe(1)
    expect(process_.output()).toContain('PORT must be a port number')

    process_ = start({ PORT: '0', DEV_CONFIG_DIR: 'missing' })
    expect(await process_.exited).toBe(1)
    expect(process_.output()).toMatch(/cannot start.*does not exist/)
  })
})
