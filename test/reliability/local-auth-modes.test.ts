// The two other ways local callers authenticate, run for real on the built sidecar: tokens turned
// off (CONFIG_SIDECAR_AUTH=none, for local experiments) and a token read from a file
// (CONFIG_SIDECAR_TOKEN=file:<path>, as a Kubernetes Secret volume gives it).
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { errorCode } from '../../test-support/http.js'
import { spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess | undefined
let config: string

beforeEach(async () => {
  dir = await tempDir('reliability-auth-modes-')
  config = join(dir.path, 'app.json')
  await writeFile(config, JSON.stringify({ greeting: 'hello' }))
})
afterEach(async () => {
  await sidecar?.stop('SIGKILL')
  sidecar = undefined
  await dir.remove()
})

const ready = (running: SidecarProcess, authorization?: string) =>
  waitFor(async () => {
    const answer = await running.get('/config/', {
      headers: authorization === undefined ? { authorization: '' } : { authorization },
    })
    return answer.status === 200 ? answer : undefined
  })

describe('CONFIG_SIDECAR_AUTH=none', () => {
  it('serves config with no token, and says at start that it should not be used beyond experiments', async () => {
    sidecar = await spawnSidecar(
      dir.path,
      { CONFIG_SOURCE: `file:${config}`, CONFIG_SIDECAR_AUTH: 'none' },
      { token: null },
    )
    const answer = await ready(sidecar)
    expect(JSON.parse(answer.body)).toEqual({ greeting: 'hello' })
    expect((await sidecar.get('/status', { headers: { authorization: '' } })).status).toBe(200)
    expect(sidecar.proc.output()).toContain('CONFIG_SIDECAR_AUTH is none')
    // No token file is written when tokens are off.
    await expect(stat(join(dir.path, `config-sidecar-${sidecar.port}.token`))).rejects.toThrow()
  })
})

describe('CONFIG_SIDECAR_TOKEN=file:<path>', () => {
  it('accepts the token in the file and refuses any other', async () => {
    const tokenFile = join(dir.path, 'sidecar-token')
    const token = 'token-from-a-mounted-secret-0123'
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 })
    sidecar = await spawnSidecar(
      dir.path,
      { CONFIG_SOURCE: `file:${config}`, CONFIG_SIDECAR_TOKEN: `file:${tokenFile}` },
      { token: null },
    )
    await ready(sidecar, `Bearer ${token}`)
    const none = await sidecar.get('/config/', { headers: { authorization: '' } })
    expect(none.status).toBe(401)
    expect(errorCode(none)).toBe('ERR_UNAUTHORIZED')
    const wrong = await sidecar.get('/config/', {
      headers: { authorization: 'Bearer token-from-a-mounted-secret-0124' },
    })
    expect(wrong.status).toBe(401)
    expect(sidecar.proc.output()).not.toContain(token)
  })

  it('makes a token and writes it there (0600) when the file does not exist yet', async () => {
    const tokenFile = join(dir.path, 'made-here.token')
    sidecar = await spawnSidecar(
      dir.path,
      { CONFIG_SOURCE: `file:${config}`, CONFIG_SIDECAR_TOKEN: `file:${tokenFile}` },
      { token: null },
    )
    const token = (await readFile(tokenFile, 'utf8')).trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600)
    await ready(sidecar, `Bearer ${token}`)
  })

  it('refuses to start on a file whose token is too short, without printing it', async () => {
    const tokenFile = join(dir.path, 'short-token')
    await writeFile(tokenFile, 'x1\n')
    await expect(
      spawnSidecar(
        dir.path,
        { CONFIG_SOURCE: `file:${config}`, CONFIG_SIDECAR_TOKEN: `file:${tokenFile}` },
        { token: null },
      ),
    ).rejects.toThrow()
  })
})
