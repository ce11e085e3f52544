// The push directory launched as Cloud Foundry launches it: from that directory, the manifest's app
// and sidecar commands with the platform's environment (PORT, VCAP_APPLICATION, VCAP_SERVICES with a
// p.config-server binding to the dev config server, MEMORY_LIMIT), in both start orders. The
// droplet, and the dev config server's directory, hold samples/ as committed: a workshop's edits in
// the working tree (which `npm run build` copies into the push directory) change nothing here.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { PortInUseError, withFreePorts } from '../../test-support/ports.js'
import { cleanEnv, run, spawnOnFreePort } from '../../test-support/processes.js'
import type { Running } from '../../test-support/processes.js'
import { sleep, waitFor } from '../../test-support/wait.js'
import { copyPushDirWithCommittedSamples } from '../docs/doc-runner.js'

const root = join(import.meta.dirname, '..', '..')

interface Manifest {
  applications: {
    name: string
    command: string
    path: string
    memory: string
    sidecars: { command: string }[]
  }[]
}

let dir: { path: string; remove: () => Promise<void> }
let running: Running[] = []

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await Promise.all(running.map((proc) => proc.stop('SIGKILL')))
  running = []
  await dir.remove()
})

/** Waits for `pattern` in `proc`'s output; a start that failed on a taken port is a PortInUseError. */
async function listening(proc: Running, pattern: RegExp): Promise<void> {
  try {
    await proc.waitForOutput(pattern)
  } catch (error) {
    if (/EADDRINUSE/.test(proc.output())) throw new PortInUseError(undefined, proc.output())
    throw error
  }
}

async function launch(order: 'app first' | 'sidecar first') {
  const manifest = parse(await readFile(join(root, 'manifest.yml'), 'utf8')) as Manifest
  const entry = manifest.applications[0]!
  const droplet = join(dir.path, 'app')
  await copyPushDirWithCommittedSamples(join(root, entry.path), droplet)

  const { proc: upstream, port: upstreamPort } = await spawnOnFreePort(
    process.execPath,
    [join(root, 'packages', 'dev-config-server', 'dist', 'main.js')],
    {
      env: (port) =>
        cleanEnv({
          PORT: String(port),
          DEV_CONFIG_DIR: join(droplet, 'samples', 'config'),
          DEV_CONFIG_CLIENTS: 'p-config-client:binding-secret-42',
        }),
      ready: /listening/,
    },
  )
  running.push(upstream)

  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`
  // Both processes get both ports, as Cloud Foundry gives the sidecar the app's whole environment:
  // a port taken before its process binds it means both start again on new ones.
  return withFreePorts(2, async ([appPort, sidecarPort]) => {
    const env = cleanEnv({
      PORT: String(appPort),
      MEMORY_LIMIT: entry.memory.replace(/M$/, 'm'),
      TMPDIR: dir.path,
      XDG_RUNTIME_DIR: dir.path,
      VCAP_APPLICATION: JSON.stringify({
        application_name: entry.name,
        application_id: 'b9a5d3b0',
        instance_index: 0,
        limits: { mem: 256 },
      }),
      VCAP_SERVICES: JSON.stringify({
        'p.config-server': [
          {
            name: 'config-server',
            label: 'p.config-server',
            plan: 'standard',
            tags: ['configuration', 'spring-cloud'],
            credentials: {
              uri: upstreamUrl,
              client_id: 'p-config-client',
              client_secret: 'binding-secret-42',
              access_token_uri: `${upstreamUrl}/oauth/token`,
            },
          },
        ],
      }),
      // What `cf set-env` adds: the keys for the sample's secrets, and a port free on this machine.
      CONFIG_KEYS: 'file:samples/demo-only.private.jwks.json',
      CONFIG_SERVER_PORT: String(sidecarPort),
      CONFIG_POLL_INTERVAL: '500ms',
    })
    const start = (command: string): Running => {
      const proc = run('/bin/sh', ['-c', `exec ${command}`], { cwd: droplet, env })
      running.push(proc)
      return proc
    }
    const started: Running[] = []
    try {
      let app: Running
      let sidecar: Running
      if (order === 'app first') {
        app = start(entry.command)
        started.push(app)
        await listening(app, /demo app listening/)
        // Before the sidecar is there, the app answers 503 with Retry-After, never an empty 200.
        const early = await fetch(`http://127.0.0.1:${appPort}/config`)
        expect(early.status).toBe(503)
        expect(early.headers.get('retry-after')).toBeTruthy()
        await sleep(300)
        sidecar = start(entry.sidecars[0]!.command)
        started.push(sidecar)
        await listening(sidecar, /config sidecar listening/)
      } else {
        sidecar = start(entry.sidecars[0]!.command)
        started.push(sidecar)
        await listening(sidecar, /config sidecar listening/)
        await sleep(300)
        app = start(entry.command)
        started.push(app)
        await listening(app, /demo app listening/)
      }
      return { app, sidecar, appPort: appPort!, upstream, appName: entry.name }
    } catch (error) {
      await Promise.all(started.map((proc) => proc.stop('SIGKILL')))
      throw error
    }
  })
}

describe.each(['app first', 'sidecar first'] as const)('a Cloud Foundry launch, %s', (order) => {
  it('serves the bound config server through the app, then stops on SIGTERM with exit 0 within 10 s', async () => {
    const { app, sidecar, appPort, upstream, appName } = await launch(order)
    const config = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${appPort}/config`)
        return response.status === 200
          ? ((await response.json()) as { greeting: string; database: { password: string } })
          : undefined
      },
      { timeoutMs: 10_000, what: 'config through the app' },
    )
    expect(config.greeting).toBe('Hello from the config sidecar')
    // The app's public /config is the redacted view: the secret was decrypted (else no config
    // would be served) but is not handed out.
    expect(config.database.password).toBe('[redacted]')
    expect(sidecar.output()).toContain('"source":"http://127.0.0.1:')
    // The Spring coordinates come from VCAP_APPLICATION's name and the default profile.
    expect(upstream.output()).toContain(`"path":"/${appName}/default"`)
    expect(`${sidecar.output()}${app.output()}`).not.toContain('binding-secret-42')
    expect(`${sidecar.output()}${app.output()}`).not.toContain('demo-db-password')

    const started = Date.now()
    const [appCode, sidecarCode] = await Promise.all([app.stop('SIGTERM'), sidecar.stop('SIGTERM')])
    expect([appCode, sidecarCode]).toEqual([0, 0])
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
