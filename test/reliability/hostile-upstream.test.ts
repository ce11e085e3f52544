// A hostile upstream against the built sidecar: a Spring `version` holding CR/LF (it used to reach
// writeHead, which threw and ended the process, and again after every restart from the snapshot),
// an X-Config-Version header with a tab and Latin-1, and list-index bombs (a 6 KB environment became
// a 20 MB document; a 46 KB one ran a 128 MB sidecar out of memory). The process must stay up,
// serve the last good config, keep its memory bounded and restart fine from its snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import type { RawResponse } from '../../test-support/http.js'
import { memoryOf, report } from '../../test-support/measure.js'
import { spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { json, startUpstream } from '../../test-support/upstream.js'
import type { FakeUpstream } from '../../test-support/upstream.js'
import { waitFor } from '../../test-support/wait.js'

const HASH = /^[A-Za-z0-9_-]{43}$/
const CRLF_VERSION = 'v2\r\nSet-Cookie: injected=1'

let dir: { path: string; remove: () => Promise<void> }
let upstream: FakeUpstream
let sidecar: SidecarProcess
let cacheDir: string

/** A Spring environment for `round`, with a version of our choosing. */
function environment(round: number, version: unknown): Record<string, unknown> {
  return {
    name: 'orders',
    profiles: ['cloud'],
    label: 'main',
    version,
    state: null,
    propertySources: [
      {
        name: 'https://git.example/config/orders-cloud.yml',
        source: { 'orders.round': round, 'orders.regions[0]': 'eu-west', 'server.port': 8080 },
      },
    ],
  }
}

/** A list-index bomb of about `bytes`: every key a list whose last element is index 9,999. */
function bomb(bytes: number): Record<string, unknown> {
  const source: Record<string, number> = {}
  for (let i = 0, size = 2; size < bytes; i += 1) {
    source[`bomb${i}[9999]`] = i
    size += `"bomb${i}[9999]":${i},`.length
  }
  return {
    name: 'orders',
    profiles: ['cloud'],
    version: 'bomb',
    propertySources: [{ name: 'x', source }],
  }
}

const roundOf = (answer: RawResponse): number | undefined =>
  answer.status === 200
    ? (JSON.parse(answer.body) as { orders?: { round?: number } }).orders?.round
    : undefined

async function waitForRound(round: number, stale = 'false'): Promise<RawResponse> {
  return waitFor(
    async () => {
      const answer = await sidecar.get('/config/')
      return roundOf(answer) === round && answer.headers['x-config-stale'] === stale
        ? answer
        : undefined
    },
    { timeoutMs: 8000, what: `round ${round} served (stale: ${stale})` },
  )
}

async function restart(): Promise<void> {
  await sidecar.stop('SIGTERM')
  sidecar = await spawnSidecar(dir.path, {
    CONFIG_SOURCE: `${upstream.url}/orders/cloud`,
    CONFIG_CACHE_DIR: cacheDir,
  })
}

/** Each describe has its own sidecar, upstream and snapshot: one cannot end the other's. */
function withSidecar(name: string): void {
  beforeAll(async () => {
    dir = await tempDir(`reliability-hostile-${name}-`)
    cacheDir = `${dir.path}/cache`
    upstream = await startUpstream(json(environment(1, 'v1')))
    sidecar = await spawnSidecar(dir.path, {
      CONFIG_SOURCE: `${upstream.url}/orders/cloud`,
      CONFIG_CACHE_DIR: cacheDir,
    })
    const first = await waitForRound(1)
    expect(first.headers['x-config-version']).toBe('v1')
  }, 20_000)

  afterAll(async () => {
    if (sidecar !== undefined && !sidecar.alive())
      process.stdout.write(`sidecar died:\n${sidecar.proc.output().slice(-4000)}\n`)
    await sidecar?.stop('SIGKILL')
    await upstream?.close()
    await dir?.remove()
  })
}

describe('versions that are not header values', () => {
  withSidecar('version')

  it('an X-Config-Version header with a tab and Latin-1: the hash stands in', async () => {
    upstream.handle(json(environment(2, null), { 'x-config-version': 'v3\tcafé' }))
    const answer = await waitForRound(2)
    expect(answer.headers['x-config-version']).toMatch(HASH)
    sidecar.expectAlive()
  })

  it('a Spring version with CR/LF: served under the hash of the bytes, no header injected, alive', async () => {
    upstream.handle(json(environment(3, CRLF_VERSION)))
    const answer = await waitForRound(3)
    expect(answer.headers['x-config-version']).toMatch(HASH)
    expect(answer.headers['set-cookie']).toBeUndefined()
    expect((await sidecar.status()).version).toMatch(HASH)
    for (const path of ['/config/orders', '/config/?redact', '/status'])
      expect((await sidecar.get(path)).status, path).toBeLessThan(500)
    expect((await sidecar.get('/livez')).status).toBe(200)
    sidecar.expectAlive()
  })

  it('restarted from a snapshot that holds the CR/LF version: serves it, stays up', async () => {
    if (!sidecar.alive()) await restart()
    upstream.handle(json(environment(4, CRLF_VERSION)))
    await waitForRound(4)
    upstream.handle((_req, res) => res.writeHead(503).end())
    await restart()
    const answer = await waitForRound(4, 'true')
    expect(answer.headers['x-config-version']).toMatch(HASH)
    expect((await sidecar.status()).fromSnapshot).toBe(true)
    sidecar.expectAlive()
  })
})

describe('list-index bombs', () => {
  withSidecar('bombs')

  it('list-index bombs of 6 KB and 46 KB: ERR_DOCUMENT_TOO_LARGE, the last good config served, memory bounded', async () => {
    upstream.handle(json(environment(5, 'v5')))
    await waitForRound(5)
    const baseline = await memoryOf(sidecar.pid)
    for (const bytes of [6 * 1024, 46 * 1024]) {
      const before = Date.now()
      upstream.handle(json(bomb(bytes)))
      const status = await sidecar.waitForError('ERR_DOCUMENT_TOO_LARGE')
      expect(status.lastError?.message).toMatch(/"bomb\d+\[9999\]" of propertySources\[0\]/)
      const served = await waitForRound(5, 'true')
      expect(served.headers['x-config-version']).toBe('v5')
      sidecar.expectAlive()
      report(`list-index bomb of ${bytes} bytes`, { refusedInMs: Date.now() - before })
      upstream.handle(json(environment(5, 'v5')))
      await waitForRound(5)
    }
    const after = await memoryOf(sidecar.pid)
    report('list-index bombs', { baseline, after })
    expect(after.peakMiB - baseline.rssMiB).toBeLessThan(48)
  })

  it('restarted while the upstream still sends the bomb: the snapshot is served, the bomb refused again', async () => {
    upstream.handle(json(bomb(46 * 1024)))
    await sidecar.waitForError('ERR_DOCUMENT_TOO_LARGE')
    await restart()
    const answer = await waitForRound(5, 'true')
    expect(answer.headers['x-config-version']).toBe('v5')
    await sidecar.waitForError('ERR_DOCUMENT_TOO_LARGE')
    sidecar.expectAlive()
    upstream.handle(json(environment(6, 'v6')))
    expect((await waitForRound(6)).headers['x-config-version']).toBe('v6')
  })
})
