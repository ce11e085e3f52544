// One-shot mode as init containers and jobs run it: `node dist/push/sidecar/main.mjs once`, a real
// process. Exit 0 means the config was fetched, parsed and every secret decrypted, and the snapshot
// (secrets still encrypted, mode 0600) is in CONFIG_CACHE_DIR; anything else exits 1 and logs the
// error code and the reason, never a value. Assumes `pnpm build` ran (`npm test` builds first). The
// sample config and keys are samples/ as committed, not the push directory's copy of the working
// tree's, which a reader half-way through the workshop has edited.
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { PortInUseError, closedPort, withFreePorts } from '../../test-support/ports.js'
import { cleanEnv, run } from '../../test-support/processes.js'
import type { Running } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'
import { copyCommittedSamples } from '../docs/doc-runner.js'

const root = join(import.meta.dirname, '..', '..')
const pushDir = join(root, 'dist', 'push')
const sidecarMain = join(pushDir, 'sidecar', 'main.mjs')

/** A JWE-shaped value for the demo key's kid whose parts are garbage: it cannot decrypt. */
const GARBAGE_JWE = `{jwe}${Buffer.from(
  JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'demo-only-rsa-2026' }),
).toString(
  'base64url',
)}.${'Z2FyYmFnZS1rZXk'.repeat(20)}.AAAAAAAAAAAAAAAA.Z2FyYmFnZQ.AAAAAAAAAAAAAAAAAAAAAA`

let dir: { path: string; remove: () => Promise<void> }
/** The committed sample's keys and config, under `dir`. */
let demoKeys: string
let sampleConfig: string

beforeAll(async () => {
  dir = await tempDir('config-sidecar-once-')
  await copyCommittedSamples(dir.path)
  demoKeys = join(dir.path, 'samples', 'demo-only.private.jwks.json')
  sampleConfig = join(dir.path, 'samples', 'config')
})
afterAll(async () => {
  await dir?.remove()
})

interface Outcome {
  code: number | null
  output: string
  lines: Record<string, unknown>[]
}

/** Runs `node sidecar/main.mjs once` in the push directory with only the given settings. */
async function once(settings: Record<string, string | undefined>): Promise<Outcome> {
  const child = run(process.execPath, [sidecarMain, 'once'], {
    cwd: pushDir,
    env: cleanEnv({ TMPDIR: dir.path, ...settings }),
  })
  const code = await child.exited
  const output = child.output()
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { code, output, lines }
}

async function freshDir(name: string): Promise<string> {
  const path = join(dir.path, name)
  await mkdir(path, { recursive: true })
  return path
}

describe('config-sidecar once', () => {
  it('exits 0 with a file source and writes the snapshot, mode 0600, into CONFIG_CACHE_DIR', async () => {
    const work = await freshDir('file-ok')
    const file = join(work, 'application.yaml')
    await writeFile(file, 'greeting: hello from once\nlimits:\n  rpm: 600\n')
    const cache = join(work, 'cache')
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_CACHE_DIR: cache,
    })
    expect(code, output).toBe(0)
    const done = lines.find((line) => line['level'] === 'info' && line['snapshot'] !== undefined)
    expect(done, output).toBeDefined()

    const names = await readdir(cache)
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/^snapshot-[0-9a-f]{16}\.json$/)
    expect(join(cache, names[0]!)).toBe(done!['snapshot'])
    const snapshotPath = join(cache, names[0]!)
    expect((await stat(snapshotPath)).mode & 0o777).toBe(0o600)
    const snapshot = JSON.parse(await readFile(snapshotPath, 'utf8')) as {
      format: number
      source: string
      documents: { file: string; body: string }[]
    }
    expect(snapshot.format).toBe(2)
    expect(snapshot.source).toBe(`file:${file}`)
    expect(snapshot.documents.map((part) => part.file)).toEqual([file])
    expect(snapshot.documents[0]!.body).toBe(await readFile(file, 'utf8'))
  })

  it('checks that every secret decrypts, and keeps them encrypted in the snapshot', async () => {
    const cache = join(await freshDir('secrets-ok'), 'cache')
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${sampleConfig}`,
      CONFIG_KEYS: `file:${demoKeys}`,
      CONFIG_CACHE_DIR: cache,
    })
    expect(code, output).toBe(0)
    const done = lines.find((line) => line['snapshot'] !== undefined)!
    expect(done['secrets']).toBeGreaterThan(0)
    const snapshot = await readFile(done['snapshot'] as string, 'utf8')
    expect(snapshot).toContain('{jwe}')
  })

  it('exits non-zero with ERR_UPSTREAM_UNAVAILABLE when the HTTP source is a closed port', async () => {
    const cache = join(await freshDir('closed-port'), 'cache')
    const port = await closedPort()
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `http://127.0.0.1:${port}/x`,
      CONFIG_CACHE_DIR: cache,
    })
    expect(code, output).toBe(1)
    const failure = lines.find((line) => line['level'] === 'error')
    expect(failure, output).toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(String(failure!['reason'])).toContain(`127.0.0.1:${port}`)
    await expect(readdir(cache)).rejects.toThrow()
  })

  it('exits non-zero when a {jwe} value cannot be decrypted, and never logs the value', async () => {
    const work = await freshDir('garbage-secret')
    const file = join(work, 'application.yaml')
    await writeFile(file, `database:\n  password: '${GARBAGE_JWE}'\n`)
    const cache = join(work, 'cache')
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_KEYS: `file:${demoKeys}`,
      CONFIG_CACHE_DIR: cache,
    })
    expect(code, output).toBe(1)
    const failure = lines.find((line) => line['level'] === 'error')
    expect(String(failure?.['code']), output).toMatch(/^ERR_SECRET_(DECRYPTION_FAILED|MALFORMED)$/)
    expect(String(failure!['reason'])).toContain('database.password')
    expect(output).not.toContain(GARBAGE_JWE.slice(5, 60))
    await expect(readdir(cache)).rejects.toThrow()
  })

  it('exits non-zero with ERR_SECRET_NO_KEYS when a secret is present and CONFIG_KEYS is not', async () => {
    const work = await freshDir('no-keys')
    const file = join(work, 'application.yaml')
    await writeFile(file, `database:\n  password: '${GARBAGE_JWE}'\n`)
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_CACHE_DIR: join(work, 'cache'),
    })
    expect(code, output).toBe(1)
    expect(
      lines.find((line) => line['level'] === 'error'),
      output,
    ).toMatchObject({
      code: 'ERR_SECRET_NO_KEYS',
    })
  })

  it('names the reason when CONFIG_KEYS names a missing file', async () => {
    const work = await freshDir('missing-keys')
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${sampleConfig}`,
      CONFIG_KEYS: `file:${join(work, 'absent.jwks.json')}`,
      CONFIG_CACHE_DIR: join(work, 'cache'),
    })
    expect(code, output).toBe(1)
    const failure = lines.find((line) => line['level'] === 'error')
    expect(failure, output).toMatchObject({ code: 'ERR_SECRET_NO_KEYS' })
    expect(String(failure!['reason'])).toMatch(/CONFIG_KEYS .*absent\.jwks\.json.*ENOENT/)
  })

  it('names CONFIG_CACHE_DIR when the snapshot cannot be written', async () => {
    const work = await freshDir('bad-cache')
    const file = join(work, 'application.yaml')
    await writeFile(file, 'greeting: hi\n')
    // A directory under a regular file can never be created, whoever runs the test.
    const { code, output, lines } = await once({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_CACHE_DIR: join(file, 'cache'),
    })
    expect(code, output).toBe(1)
    const failure = lines.find((line) => line['level'] === 'error')
    expect(String(failure?.['reason']), output).toMatch(/CONFIG_CACHE_DIR.*ENOTDIR/)
  })
})

describe('once, then serve (an init container before the sidecar)', () => {
  let upstream: Server
  let upstreamUrl: string

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ greeting: 'from the upstream', path: request.url }))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/demo-app/default`
  })
  afterAll(async () => {
    upstream.closeAllConnections()
    await new Promise((resolve) => upstream.close(resolve))
  })

  it('starts ready on the snapshot once wrote, marked stale, while the upstream is down', async () => {
    const work = await freshDir('once-then-serve')
    const settings = { CONFIG_SOURCE: upstreamUrl, CONFIG_CACHE_DIR: join(work, 'cache') }
    const first = await once(settings)
    expect(first.code, first.output).toBe(0)

    upstream.closeAllConnections()
    await new Promise((resolve) => upstream.close(resolve))

    // New ports for both listeners when one was taken before the sidecar bound it.
    const { sidecar, healthPort } = await withFreePorts(2, async ([serverPort, health]) => {
      const started: Running = run(process.execPath, [sidecarMain], {
        cwd: pushDir,
        env: cleanEnv({
          ...settings,
          TMPDIR: work,
          CONFIG_SERVER_PORT: String(serverPort),
          CONFIG_HEALTH_PORT: String(health),
        }),
      })
      try {
        await started.waitForOutput(/config sidecar listening/)
      } catch (error) {
        await started.stop('SIGKILL')
        if (/EADDRINUSE/.test(started.output()))
          throw new PortInUseError(undefined, started.output())
        throw error
      }
      return { sidecar: started, healthPort: health! }
    })
    try {
      const ready = await waitFor(
        async () => {
          const answer = await fetch(`http://127.0.0.1:${healthPort}/readyz`)
          return answer.status === 200 ? ((await answer.json()) as { stale: boolean }) : undefined
        },
        { timeoutMs: 10_000, what: 'the sidecar ready on the snapshot' },
      )
      expect(ready.stale).toBe(true)
    } finally {
      await sidecar.stop('SIGTERM')
    }
    // Listen again so afterAll can close it.
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  })
})
