// End to end: the built push directory's app and sidecar as real processes, started with the
// commands in manifest.yml, as Cloud Foundry would start them, on samples/ as committed (a workshop's
// edits in the working tree, which `npm run build` copies into the push directory, change nothing).
import { readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { PortInUseError, withFreePorts } from '../../test-support/ports.js'
import { cleanEnv, run } from '../../test-support/processes.js'
import type { Running } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'
import { copyPushDirWithCommittedSamples } from '../docs/doc-runner.js'

const root = join(import.meta.dirname, '..', '..')

interface Manifest {
  applications: { command: string; path: string; sidecars: { command: string }[] }[]
}

let dir: { path: string; remove: () => Promise<void> }
let app: Running
let sidecar: Running
let appPort: number
let sidecarPort: number
let pushCopy: string

beforeAll(async () => {
  const manifest = parse(await readFile(join(root, 'manifest.yml'), 'utf8')) as Manifest
  const entry = manifest.applications[0]!
  dir = await tempDir()
  pushCopy = join(dir.path, 'app')
  await copyPushDirWithCommittedSamples(join(root, entry.path), pushCopy)
  // Both processes get both ports (Cloud Foundry gives the sidecar the app's environment); a port
  // taken before a process binds it means new ports for both.
  await withFreePorts(2, async ([candidateApp, candidateSidecar]) => {
    appPort = candidateApp!
    sidecarPort = candidateSidecar!
    const env = cleanEnv({
      PORT: String(appPort),
      CONFIG_SERVER_PORT: String(sidecarPort),
      TMPDIR: dir.path,
      // The generated token goes to the user's private directory: here, the test's own.
      XDG_RUNTIME_DIR: dir.path,
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
    })
    // `exec` so that SIGTERM reaches node, as with the manifest's direct `node` commands.
    sidecar = run('/bin/sh', ['-c', `exec ${entry.sidecars[0]!.command}`], { cwd: pushCopy, env })
    app = run('/bin/sh', ['-c', `exec ${entry.command}`], { cwd: pushCopy, env })
    try {
      await app.waitForOutput(/demo app listening/)
      await sidecar.waitForOutput(/config sidecar listening/)
    } catch (error) {
      await Promise.all([app.stop('SIGKILL'), sidecar.stop('SIGKILL')])
      const output = `${sidecar.output()}${app.output()}`
      if (/EADDRINUSE/.test(output)) throw new PortInUseError(undefined, output.slice(-3000))
      throw error
    }
  })
})

afterAll(async () => {
  await Promise.all([app?.stop('SIGKILL'), sidecar?.stop('SIGKILL')])
  await dir?.remove()
})

describe('the push directory, started with the manifest commands', () => {
  it('serves the sample config at the app /config', async () => {
    const response = await waitFor(async () => {
      const answer = await fetch(`http://127.0.0.1:${appPort}/config`)
      return answer.status === 200 ? answer : undefined
    })
    const config = (await response.json()) as { greeting: string }
    expect(config.greeting).toBe('Hello from the config sidecar')
    expect(app.output()).toContain(
      `Sending a request to the config-server sidecar at localhost:${sidecarPort}/config/`,
    )
  })

  it('serves /status, /metrics and /readyz from the bundle', async () => {
    const token = (
      await readFile(join(dir.path, `config-sidecar-${sidecarPort}.token`), 'utf8')
    ).trim()
    const headers = { authorization: `Bearer ${token}` }
    const status = await fetch(`http://127.0.0.1:${sidecarPort}/status`, { headers })
    expect(status.status).toBe(200)
    expect(await status.json()).toMatchObject({ ready: true, secrets: 2 })
    const metrics = await fetch(`http://127.0.0.1:${sidecarPort}/metrics`, { headers })
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('config_sidecar_refresh_total{outcome="changed"}')
    expect((await fetch(`http://127.0.0.1:${sidecarPort}/readyz`)).status).toBe(200)
  })

  it('serves an edit of the watched sample file within a second', async () => {
    const file = join(pushCopy, 'samples', 'config', 'application.yaml')
    const text = await readFile(file, 'utf8')
    const edited = Date.now()
    await writeFile(file, text.replace('Hello from the config sidecar', 'Edited while running'))
    await waitFor(
      async () =>
        ((await (await fetch(`http://127.0.0.1:${appPort}/config`)).json()) as { greeting: string })
          .greeting === 'Edited while running'
          ? true
          : undefined,
      { timeoutMs: 1000, what: 'the edit at the app' },
    )
    expect(Date.now() - edited).toBeLessThan(1000)
  })

  it('listens on 127.0.0.1 only: the sidecar port is closed on every other address', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && address.family === 'IPv4' && !address.internal)
      .map((address) => address!.address)
    for (const host of ['127.0.0.2', ...others]) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host, port: sidecarPort, timeout: 1000 })
        socket.once('connect', () => {
          socket.destroy()
          resolve('connected')
        })
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
        socket.once('timeout', () => {
          socket.destroy()
          resolve('timeout')
        })
      })
      expect(outcome, host).not.toBe('connected')
    }
    const loopback = await fetch(`http://127.0.0.1:${sidecarPort}/livez`)
    expect(loopback.status).toBe(200)
  })

  it('stops both processes with exit code 0 on SIGTERM within 5 s, answering open long polls and streams', async () => {
    const token = (
      await readFile(join(dir.path, `config-sidecar-${sidecarPort}.token`), 'utf8')
    ).trim()
    const base = `http://127.0.0.1:${sidecarPort}/config/`
    const etag = (await fetch(base, { headers: { authorization: `Bearer ${token}` } })).headers.get(
      'etag',
    )!
    const poll = fetch(`${base}?wait=60`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': etag },
    })
    const stream = await fetch(base, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    })
    const streamText = stream.text()
    await new Promise((resolve) => setTimeout(resolve, 200))

    const started = Date.now()
    const [appCode, sidecarCode] = await Promise.all([app.stop('SIGTERM'), sidecar.stop('SIGTERM')])
    expect(appCode).toBe(0)
    expect(sidecarCode).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    expect((await poll).status).toBe(304)
    expect(await streamText).toContain('event: config')
  })
})
