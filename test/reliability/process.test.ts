// The process level, with the built sidecar and app: kill -9 while snapshots are written (20 times,
// restarting while the upstream is down), SIGTERM with a request in flight, the sidecar restarted
// under a running app, and the app started first or facing a sidecar that hangs.
import { watch } from 'node:fs'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { errorCode, rawRequest } from '../../test-support/http.js'
import { report } from '../../test-support/measure.js'
import { withFreePort } from '../../test-support/ports.js'
import { spawnApp, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { startUpstream } from '../../test-support/upstream.js'
import type { FakeUpstream } from '../../test-support/upstream.js'
import { sleep, waitFor } from '../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  dir = await tempDir('reliability-process-')
})
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => undefined)))
  await dir?.remove()
})

// The cases run concurrently (each with its own processes and ports): the kill loop dominates.
describe.concurrent('processes', () => {
  describe('kill -9 while the snapshot is written, 20 times', () => {
    it('leaves a whole snapshot every time, served at once by a restart while the upstream is down, and no temp files', async ({
      expect,
    }) => {
      const cacheDir = join(dir.path, 'kill-cache')
      let version = 0
      let down = false
      const blob = 'x'.repeat(512 * 1024)
      // A source that changes at every poll: every 100 ms a new version and a new snapshot.
      const upstream: FakeUpstream = await startUpstream((req, res) => {
        if (down) {
          req.socket.destroy()
          return
        }
        version += 1
        const body = JSON.stringify({ version, blob })
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
          .end(body)
      })
      cleanups.push(() => upstream.close())
      const env = {
        CONFIG_SOURCE: `${upstream.url}/app/default`,
        CONFIG_CACHE_DIR: cacheDir,
        CONFIG_POLL_INTERVAL: '100ms',
      }
      const tempFiles = async (): Promise<string[]> =>
        (await readdir(cacheDir).catch(() => [] as string[])).filter((name) =>
          name.endsWith('.tmp'),
        )

      // Each restart takes a free port of its own (./ports.ts): the snapshot is found by source.
      let sidecar: SidecarProcess = await spawnSidecar(dir.path, env)
      await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
      // The first snapshot is whole (renamed into place), not only begun: its temp file's name
      // starts with `snapshot-` too.
      const snapshotFile = /^snapshot-[0-9a-f]+\.json$/
      await waitFor(async () =>
        (await readdir(cacheDir)).some((name) => snapshotFile.test(name)) ? true : undefined,
      )

      const results: {
        kill: string
        tempLeft: number
        servedVersion: number
        snapshotVersion: number
      }[] = []
      for (let iteration = 0; iteration < 20; iteration += 1) {
        // Odd rounds: kill -9 the moment a temp file appears (mid-write). Even rounds: at random.
        const midWrite = iteration % 2 === 1
        const victim = sidecar.proc.child
        if (midWrite) {
          await new Promise<void>((resolve) => {
            const kill = (): void => {
              clearTimeout(fallback)
              watcher.close()
              victim.kill('SIGKILL')
              resolve()
            }
            const watcher = watch(cacheDir, (_event, name) => {
              if (name?.endsWith('.tmp') === true) kill()
            })
            const fallback = setTimeout(kill, 3000)
          })
        } else {
          await sleep(Math.floor(Math.random() * 400))
          victim.kill('SIGKILL')
        }
        await sidecar.proc.exited
        down = true
        const leftBehind = (await tempFiles()).length

        // The snapshot on disk is whole: it parses, and so does the body it holds.
        const snapshotName = (await readdir(cacheDir)).find((name) => snapshotFile.test(name))!
        const snapshotPath = join(cacheDir, snapshotName)
        const snapshot = JSON.parse(await readFile(snapshotPath, 'utf8')) as {
          documents: { body: string }[]
        }
        const snapshotVersion = (JSON.parse(snapshot.documents[0]!.body) as { version: number })
          .version
        expect((await stat(snapshotPath)).mode & 0o777).toBe(0o600)

        // Restarted while the upstream is down: the snapshot is served at once, marked stale.
        sidecar = await spawnSidecar(dir.path, env)
        const served = await sidecar.get('/config/')
        expect(served.status).toBe(200)
        expect(served.headers['x-config-stale']).toBe('true')
        const servedVersion = (JSON.parse(served.body) as { version: number }).version
        expect(servedVersion).toBe(snapshotVersion)
        expect((await sidecar.status()).fromSnapshot).toBe(true)
        // Temp files of earlier runs do not pile up.
        expect(await tempFiles()).toEqual([])
        results.push({
          kill: midWrite ? 'mid-write' : 'random',
          tempLeft: leftBehind,
          servedVersion,
          snapshotVersion,
        })

        down = false
        const next = version
        await waitFor(() => (version > next + 1 ? true : undefined), {
          timeoutMs: 5000,
          what: 'polling again',
        })
      }
      await sidecar.stop('SIGKILL')
      report('kill -9 loop', {
        kills: results.length,
        killedMidWrite: results.filter((result) => result.tempLeft > 0).length,
        results: results.map(
          (result) => `${result.kill}:${result.tempLeft}:v${result.servedVersion}`,
        ),
      })
      // The mid-write kills did land mid-write: the temp files were there to clean up.
      expect(results.filter((result) => result.tempLeft > 0).length).toBeGreaterThan(0)
    }, 60_000)
  })

  describe('SIGTERM with requests in flight', () => {
    it('answers the in-flight refresh and long poll, then exits 0 within 5 s', async ({
      expect,
    }) => {
      const upstream = await startUpstream((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}')
      })
      cleanups.push(() => upstream.close())
      const sidecar = await spawnSidecar(dir.path, {
        CONFIG_SOURCE: `${upstream.url}/app/default`,
        CONFIG_CACHE_DIR: join(dir.path, 'sigterm-cache'),
        CONFIG_POLL_INTERVAL: '1h',
      })
      cleanups.push(() => sidecar.stop('SIGKILL'))
      await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
      const etag = (await sidecar.get('/config/')).headers['etag'] as string
      // The upstream now takes 3 s: a POST /refresh waits for it.
      upstream.handle((_req, res) => {
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":2}'),
          3000,
        )
      })
      const refresh = sidecar.get('/refresh', { method: 'POST', timeoutMs: 8000 })
      const longPoll = sidecar.get('/config/?wait=30', {
        headers: { 'if-none-match': etag },
        timeoutMs: 8000,
      })
      // Settled either way, so a failure above leaves no unhandled rejection behind.
      refresh.catch(() => undefined)
      longPoll.catch(() => undefined)
      await waitFor(
        async () => {
          const status = await sidecar.status()
          return status.waiting.longPolls === 1 && upstream.requests.length >= 2 ? true : undefined
        },
        { what: 'the refresh and the long poll in flight' },
      )
      const started = Date.now()
      const code = await sidecar.stop('SIGTERM')
      const tookMs = Date.now() - started
      const [refreshAnswer, pollAnswer] = await Promise.all([refresh, longPoll])
      report('SIGTERM in flight', {
        exitCode: code,
        exitMs: tookMs,
        refresh: refreshAnswer.status,
        longPoll: pollAnswer.status,
      })
      expect(code).toBe(0)
      expect(tookMs).toBeLessThan(5000)
      expect(pollAnswer.status).toBe(304)
      // The refresh is answered (its fetch was cancelled by the stop: 502 with the reason).
      expect(refreshAnswer.status).toBe(502)
      expect(JSON.parse(refreshAnswer.body)).toMatchObject({ outcome: 'failed' })
    }, 20_000)
  })

  describe('the app beside the sidecar', () => {
    it('started first: 503 with Retry-After within 2 s, then 200 once the sidecar is up; follows restarts with a new token', async ({
      expect,
    }) => {
      const appDir = join(dir.path, 'app-first')
      await mkdir(appDir)
      await writeFile(join(appDir, 'app.json'), JSON.stringify({ greeting: 'hello' }))
      // The sidecar makes its token and writes it to $XDG_RUNTIME_DIR; the app finds it there with no
      // setting.
      const sidecarEnv = {
        CONFIG_SOURCE: `file:${join(appDir, 'app.json')}`,
        CONFIG_CACHE_DIR: join(appDir, 'cache'),
      }
      // The app is told the sidecar's port before any sidecar runs: a candidate (./ports.ts); when
      // the first sidecar cannot bind it after all, the app and the sidecar start again on another.
      const { app, early, first, sidecarPort } = await withFreePort(async (sidecarPort) => {
        const app = await spawnApp(appDir, sidecarPort)
        cleanups.push(() => app.proc.stop('SIGKILL'))
        const early = await rawRequest(`${app.url}/config`)
        expect(early.status).toBe(503)
        expect(early.headers['retry-after']).toBe('2')
        expect(errorCode(early)).toBe('ERR_SIDECAR_UNAVAILABLE')
        expect(early.ms).toBeLessThan(2000)
        expect((await rawRequest(`${app.url}/readyz`)).status).toBe(503)
        try {
          const first = await spawnSidecar(appDir, sidecarEnv, { port: sidecarPort, token: null })
          return { app, early, first, sidecarPort }
        } catch (error) {
          await app.proc.stop('SIGKILL')
          throw error
        }
      })
      const tokenFile = join(appDir, `config-sidecar-${sidecarPort}.token`)
      let sidecar = first
      cleanups.push(() => sidecar.stop('SIGKILL'))
      const firstToken = await readFile(tokenFile, 'utf8')
      const served = await waitFor(async () => {
        const answer = await rawRequest(`${app.url}/config`)
        return answer.status === 200 ? answer : undefined
      })
      expect(JSON.parse(served.body)).toEqual({ greeting: 'hello' })

      const restarts: { how: string; down: number; downMs: number; firstAfter: number }[] = []
      for (const how of ['SIGTERM', 'SIGKILL'] as const) {
        await sidecar.stop(how)
        const down = await rawRequest(`${app.url}/config`)
        expect(down.status).toBe(503)
        expect(down.headers['retry-after']).toBe('2')
        expect(down.ms).toBeLessThan(2000)
        sidecar = await spawnSidecar(appDir, sidecarEnv, { port: sidecarPort, token: null })
        cleanups.push(() => sidecar.stop('SIGKILL'))
        const newToken = await readFile(tokenFile, 'utf8')
        expect(newToken).not.toBe(firstToken)
        // Once the new sidecar serves, the app's very next request succeeds: it reads the new token
        // after one 401, with no manual step.
        await waitFor(async () => {
          const answer = await sidecar.get('/config/', {
            headers: { authorization: `Bearer ${newToken.trim()}` },
          })
          return answer.status === 200 ? true : undefined
        })
        const after = await rawRequest(`${app.url}/config`)
        restarts.push({ how, down: down.status, downMs: down.ms, firstAfter: after.status })
        expect(after.status).toBe(200)
        expect(JSON.parse(after.body)).toEqual({ greeting: 'hello' })
      }
      report('app beside a restarting sidecar', {
        early: early.status,
        earlyMs: early.ms,
        restarts,
      })
      expect(app.proc.output()).not.toContain(firstToken.trim())
    }, 30_000)

    it('a sidecar that accepts and never answers: the app answers 503 within 2 s, never hangs', async ({
      expect,
    }) => {
      const sockets = new Set<Socket>()
      const silent = createServer((socket) => {
        sockets.add(socket)
        socket.on('error', () => undefined)
      })
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const { port } = silent.address() as AddressInfo
      cleanups.push(async () => {
        for (const socket of sockets) socket.destroy()
        await new Promise((resolve) => silent.close(resolve))
      })
      const appDir = join(dir.path, 'silent')
      await mkdir(appDir)
      const app = await spawnApp(appDir, port, {
        CONFIG_SIDECAR_TOKEN: 'reliability-token-0123456789abcdef',
      })
      cleanups.push(() => app.proc.stop('SIGKILL'))
      const answers = await Promise.all([1, 2, 3].map(() => rawRequest(`${app.url}/config`)))
      report('app facing a silent sidecar', { ms: answers.map((answer) => answer.ms) })
      for (const answer of answers) {
        expect(answer.status).toBe(503)
        expect(errorCode(answer)).toBe('ERR_SIDECAR_UNAVAILABLE')
        expect(answer.ms).toBeLessThan(2000)
      }
    })
  })
})
