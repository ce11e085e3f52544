import { hash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import parsePrometheus from 'parse-prometheus-text-format'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { openEventStream, rawRequest } from '../../../../test-support/http.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let file: string
let sidecar: InProcessSidecar

const write = (value: unknown): Promise<void> => writeFile(file, JSON.stringify(value))
const BASE = { app: { name: 'demo', limits: [10, 20] }, flag: true }

/** Writes a document and waits until it is served: each test states the document it reads. */
async function serve(value: unknown): Promise<void> {
  const wanted = JSON.stringify(value)
  if (JSON.stringify(await (await sidecar.get('/config/')).json()) === wanted) return
  await write(value)
  await waitFor(async () =>
    JSON.stringify(await (await sidecar.get('/config/')).json()) === wanted ? true : undefined,
  )
}

beforeAll(async () => {
  dir = await tempDir()
  file = join(dir.path, 'config.json')
  await write(BASE)
  sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
  await sidecar.firstRefresh
})
afterAll(async () => {
  await sidecar.stop()
  await dir.remove()
})

describe('GET /config/', () => {
  it('answers the whole document with the contract headers', async () => {
    await serve(BASE)
    for (const path of ['/config/', '/config']) {
      const response = await sidecar.get(path)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/)
      // No version from a file: a hash of the bytes as fetched, not of the served document.
      const fetched = Buffer.concat([await readFile(file), Buffer.from('\0')])
      expect(response.headers.get('x-config-version')).toBe(hash('sha256', fetched, 'base64url'))
      expect(response.headers.get('x-config-stale')).toBe('false')
      expect(response.headers.get('age')).toMatch(/^\d+$/)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.json()).toEqual({ app: { name: 'demo', limits: [10, 20] }, flag: true })
    }
  })

  it('answers a value at a path, and 404 with a JSON error when absent', async () => {
    await serve(BASE)
    expect(await (await sidecar.get('/config/app/name')).json()).toBe('demo')
    expect(await (await sidecar.get('/config/app/limits/1')).json()).toBe(20)
    expect(await (await sidecar.get('/config/app')).json()).toEqual({
      name: 'demo',
      limits: [10, 20],
    })
    const missing = await sidecar.get('/config/app/nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'ERR_CONFIG_PATH_NOT_FOUND' } })
  })

  it('answers 304 to If-None-Match while unchanged, for the document and for a path', async () => {
    await serve(BASE)
    for (const path of ['/config/', '/config/app/name']) {
      const first = await sidecar.get(path)
      const etag = first.headers.get('etag')!
      const again = await sidecar.get(path, { headers: { 'if-none-match': etag } })
      expect(again.status).toBe(304)
      expect(again.headers.get('etag')).toBe(etag)
      expect(again.headers.get('x-config-version')).toBeTruthy()
      expect((await sidecar.get(path, { headers: { 'if-none-match': '"other"' } })).status).toBe(
        200,
      )
    }
  })

  it('answers HEAD with the headers only', async () => {
    const response = await sidecar.get('/config/', { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toBeTruthy()
    expect(await response.text()).toBe('')
  })

  it('answers a changed document with a new ETag', async () => {
    const before = (await sidecar.get('/config/')).headers.get('etag')
    await write({ app: { name: 'demo', limits: [10, 20] }, flag: false })
    const after = await waitFor(async () => {
      const etag = (await sidecar.get('/config/')).headers.get('etag')
      return etag !== before ? etag : undefined
    })
    expect(after).not.toBe(before)
  })
})

describe('long poll', () => {
  it('answers 304 at the timeout when nothing changed', async () => {
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const started = Date.now()
    const response = await sidecar.get('/config/?wait=1', { headers: { 'if-none-match': etag } })
    expect(response.status).toBe(304)
    expect(response.headers.get('etag')).toBe(etag)
    expect(await response.text()).toBe('')
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(3000)
  })

  it('answers as soon as the config changes', async () => {
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const pending = sidecar.get('/config/?wait=30', { headers: { 'if-none-match': etag } })
    await waitFor(() => (sidecar.sidecar.store.current() ? true : undefined))
    const started = Date.now()
    await write({ changed: Date.now() })
    const response = await pending
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).not.toBe(etag)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('caps the wait at 60 s: a huge wait still waits (no timer overflow)', async () => {
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const abort = new AbortController()
    const pending = sidecar
      .get('/config/?wait=3000000', { headers: { 'if-none-match': etag }, signal: abort.signal })
      .then((response) => response.status)
      .catch(() => 'aborted')
    const early = await Promise.race([pending, sleep(600).then(() => 'still waiting')])
    abort.abort()
    expect(early).toBe('still waiting')
    expect(await pending).toBe('aborted')
  })

  it('answers at once when the ETag differs, and refuses a bad wait', async () => {
    expect(
      (await sidecar.get('/config/?wait=30', { headers: { 'if-none-match': '"old"' } })).status,
    ).toBe(200)
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const bad = await sidecar.get('/config/?wait=soon', { headers: { 'if-none-match': etag } })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } })
  })
})

describe('Server-Sent Events', () => {
  it('sends the document now and after every change, with the ETag as id', async () => {
    const events = await openEventStream(`${sidecar.url}/config/`, {
      headers: { authorization: `Bearer ${sidecar.token!}` },
    })
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/)
    const first = await events.next()
    expect(first.event).toBe('config')
    expect(first.id).toBe((await sidecar.get('/config/')).headers.get('etag'))
    await write({ sse: 1 })
    // After the first config, each config comes after a `changes` event (the paths it changed).
    const changes = await events.next()
    expect(changes.event).toBe('changes')
    expect(JSON.parse(changes.data)).toMatchObject({ from: first.id, added: ['sse'] })
    const second = await events.next()
    expect(second.event).toBe('config')
    expect(JSON.parse(second.data)).toEqual({ sse: 1 })
    expect(second.id).not.toBe(first.id)
    events.close()
  })

  it('resumes with Last-Event-ID: no repeat of what the client has', async () => {
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const events = await openEventStream(`${sidecar.url}/config/`, {
      headers: { authorization: `Bearer ${sidecar.token!}`, 'last-event-id': etag },
    })
    await expect(events.next(300)).rejects.toThrow('no event in time')
    await write({ resumed: true })
    // The client holds the config of its Last-Event-ID: the change is told from there.
    const changes = await events.next()
    expect(changes.event).toBe('changes')
    expect(JSON.parse(changes.data)).toMatchObject({ from: etag, added: ['resumed'] })
    const next = await events.next()
    expect(JSON.parse(next.data)).toEqual({ resumed: true })
    events.close()
  })
})

describe('local callers', () => {
  it('requires the bearer token on config, status, metrics and refresh', async () => {
    for (const [path, method] of [
      ['/config/', 'GET'],
      ['/status', 'GET'],
      ['/metrics', 'GET'],
      ['/refresh', 'POST'],
    ] as const) {
      const none = await sidecar.get(path, { method, headers: { authorization: '' } })
      expect(none.status, path).toBe(401)
      expect(await none.json()).toMatchObject({ error: { code: 'ERR_UNAUTHORIZED' } })
      const wrong = await sidecar.get(path, {
        method,
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      })
      expect(wrong.status, path).toBe(401)
    }
  })

  it('serves /livez and /readyz without a token', async () => {
    expect((await rawRequest(`${sidecar.url}/livez`)).status).toBe(200)
    expect((await rawRequest(`${sidecar.url}/readyz`)).status).toBe(200)
  })

  it('refuses proxied requests with 400', async () => {
    for (const header of ['x-forwarded-for', 'forwarded']) {
      const response = await rawRequest(`${sidecar.url}/config/`, {
        headers: { [header]: '10.0.0.1', authorization: `Bearer ${sidecar.token!}` },
      })
      expect(response.status).toBe(400)
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'ERR_FORWARDED_REQUEST' } })
    }
  })

  it('refuses a Host that is not a loopback name with 403 (DNS rebinding)', async () => {
    const evil = await rawRequest(`${sidecar.url}/config/`, {
      headers: { host: 'evil.example.com', authorization: `Bearer ${sidecar.token!}` },
    })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'ERR_HOST_NOT_ALLOWED' } })
    for (const host of ['localhost:8082', '127.0.0.1', '[::1]:8082', 'localhost']) {
      expect((await rawRequest(`${sidecar.url}/livez`, { headers: { host } })).status, host).toBe(
        200,
      )
    }
  })

  it('allows GET and HEAD only on data routes (405)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await sidecar.get('/config/', { method })
      expect(response.status, method).toBe(405)
      expect(response.headers.get('allow')).toBe('GET, HEAD')
    }
    expect((await sidecar.get('/refresh')).status).toBe(405)
  })

  it('answers /livez and /readyz with status only: no version or ETag', async () => {
    const ready = await sidecar.get('/readyz', { headers: { authorization: '' } })
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', stale: false })
    expect(ready.headers.get('etag')).toBeNull()
    expect(ready.headers.get('x-config-version')).toBeNull()
    expect(await (await sidecar.get('/livez', { headers: { authorization: '' } })).json()).toEqual({
      status: 'alive',
    })
  })

  it('answers unknown routes with a JSON 404', async () => {
    const response = await sidecar.get('/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } })
  })
})

describe('operations', () => {
  it('reports /status without credentials or values', async () => {
    // Its own two documents, so the check (and the change it names) does not depend on what the
    // tests before it wrote: the first without the keys, the second adding them.
    await serve({ before: 'status' })
    await serve({ app: { name: 'status-check-value' }, flag: true })
    const status = (await (await sidecar.get('/status')).json()) as Record<string, unknown>
    expect(status).toMatchObject({
      source: `file:${file}`,
      ready: true,
      stale: false,
      lastError: null,
    })
    expect(typeof status['version']).toBe('string')
    expect(typeof status['lastSuccessAt']).toBe('string')
    expect(typeof status['nextRefreshAt']).toBe('string')
    // No value and not the token: the served values and the token are nowhere in it; the keys are
    // only in `lastChange`, which names the paths that changed (What changed).
    const text = JSON.stringify(status)
    expect(text).not.toContain('status-check-value')
    expect(text).not.toContain(sidecar.token!)
    const { lastChange, ...rest } = status
    expect(JSON.stringify(rest)).not.toMatch(/"app|"flag"/)
    expect(lastChange).toMatchObject({ added: expect.arrayContaining(['app.name', 'flag']) })
  })

  it('exposes Prometheus metrics that a Prometheus parser reads', async () => {
    await sidecar.get('/config/')
    const response = await sidecar.get('/metrics')
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const families = parsePrometheus(await response.text())
    const byName = new Map(families.map((family) => [family.name, family]))
    for (const name of [
      'config_sidecar_refresh_total',
      'config_sidecar_refresh_errors_total',
      'config_sidecar_staleness_seconds',
      'config_sidecar_last_success_timestamp_seconds',
      'config_sidecar_config_info',
      'config_sidecar_http_requests_total',
    ]) {
      expect(byName.has(name), name).toBe(true)
    }
    const requests = byName.get('config_sidecar_http_requests_total')!.metrics as {
      labels: Record<string, string>
      value: string
    }[]
    expect(
      requests.some(
        (metric) =>
          metric.labels['route'] === 'config' &&
          metric.labels['status'] === '200' &&
          Number(metric.value) > 0,
      ),
    ).toBe(true)
    const info = byName.get('config_sidecar_config_info')!.metrics as {
      labels: Record<string, string>
    }[]
    expect(info[0]!.labels['version']).toBe(sidecar.sidecar.store.current()!.version)
  })

  it('refreshes on POST /refresh and rate limits it', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i += 1)
      statuses.push((await sidecar.get('/refresh', { method: 'POST' })).status)
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses).toContain(429)
    const limited = await sidecar.get('/refresh', { method: 'POST' })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(5)
    expect(await limited.json()).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } })
  })

  it('answers a failed POST /refresh with 502, the outcome and the reason', async () => {
    const own = await tempDir()
    const ownFile = join(own.path, 'config.json')
    await writeFile(ownFile, '{"n":1}')
    const failing = await startInProcessSidecar({ CONFIG_SOURCE: `file:${ownFile}` })
    try {
      await failing.firstRefresh
      await rm(ownFile)
      const response = await failing.get('/refresh', { method: 'POST' })
      expect(response.status).toBe(502)
      expect(await response.json()).toMatchObject({
        outcome: 'failed',
        error: { code: 'ERR_SOURCE_NOT_FOUND' },
      })
      // The good config stays served, marked stale.
      const config = await failing.get('/config/')
      expect(config.status).toBe(200)
      expect(config.headers.get('x-config-stale')).toBe('true')
    } finally {
      await failing.stop()
      await own.remove()
    }
  })
})

describe('before the first config', () => {
  let empty: InProcessSidecar | undefined
  afterEach(async () => {
    await empty?.stop()
    empty = undefined
  })

  it('answers config routes 503 with Retry-After and /readyz 503, /livez 200', async () => {
    empty = await startInProcessSidecar({ CONFIG_SOURCE: `file:${join(dir.path, 'missing.json')}` })
    await empty.firstRefresh
    const config = await empty.get('/config/')
    expect(config.status).toBe(503)
    expect(config.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(await config.json()).toMatchObject({ error: { code: 'ERR_CONFIG_NOT_READY' } })
    expect((await empty.get('/readyz')).status).toBe(503)
    expect((await empty.get('/livez')).status).toBe(200)
  })
})
