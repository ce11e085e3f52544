// `/status`, `/metrics`, `/refresh`, the JSON 404 and the error handler of the operations app, each
// answer checked exactly (status, headers, body) and counted under its route in
// config_sidecar_http_requests_total. The real request listener on 127.0.0.1:0 with a real store
// (on a clock the test sets), metrics and config route; the refresher and the config files are our
// own interfaces, faked. Each test builds its own listener, so the app is made inside the test that
// checks it.
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import {
  UNUSED_REFRESHER,
  listenLoopback,
  requestCounts,
} from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { createMetrics } from '../../src/http/metrics.js'
import type { Metrics } from '../../src/http/metrics.js'
import type { ConfigFiles, ConfigFilesStatus } from '../../src/files/config-files.js'
import type { RefreshOutcome, RefreshReason, Refresher } from '../../src/refresh/refresher.js'
import { createConfigStore } from '../../src/state/store.js'
import type { ConfigStore } from '../../src/state/store.js'
import { SidecarError } from '../../src/support/errors.js'

const TOKEN = 'operations-token-0123456789abcdef'
const T0 = Date.parse('2030-01-02T03:04:05.000Z')
const STARTED = T0 - 60_000
const NEXT = T0 + 30_000
const iso = (ms: number): string => new Date(ms).toISOString()
const JSON_TYPE = 'application/json; charset=utf-8'

interface Options {
  /** What POST /refresh gets from the refresher (default: unchanged, version v1). */
  refresh?: (reason: RefreshReason) => Promise<RefreshOutcome>
  files?: ConfigFiles
  demoKeyIds?: readonly string[]
  maxStalenessMs?: number
  /** Wraps the real metrics (to make one of them misbehave). */
  wrapMetrics?: (metrics: Metrics) => Metrics
}

interface Harness {
  readonly store: ConfigStore
  /** Log lines, parsed. */
  readonly lines: Record<string, unknown>[]
  /** The reasons the refresher was asked to refresh for. */
  readonly reasons: RefreshReason[]
  setClock(ms: number): void
  /** A request with the token (unless `headers.authorization` is given; null sends none). */
  request(
    path: string,
    options?: { method?: string; authorization?: string | null },
  ): Promise<RawResponse>
  /** `route status` → count, from config_sidecar_http_requests_total. */
  counts(): Promise<Record<string, number>>
}

const outcomeOf = (fields: Partial<RefreshOutcome>): RefreshOutcome => ({
  outcome: 'unchanged',
  reason: 'manual',
  version: 'v1',
  error: undefined,
  durationMs: 1,
  decrypted: 0,
  ...fields,
})

async function start(options: Options = {}): Promise<Harness> {
  let clock = T0
  const store = createConfigStore({ maxStalenessMs: options.maxStalenessMs, now: () => clock })
  const realMetrics = createMetrics(store, options.files)
  const { logger, lines } = recordingLogger()
  const reasons: RefreshReason[] = []
  const refresher: Refresher = {
    ...UNUSED_REFRESHER,
    refresh(reason) {
      reasons.push(reason)
      return options.refresh?.(reason) ?? Promise.resolve(outcomeOf({}))
    },
    nextRefreshAt: () => NEXT,
  }
  const { url } = await listenLoopback({
    store,
    metrics: options.wrapMetrics?.(realMetrics) ?? realMetrics,
    refresher,
    logger,
    checkToken: (authorization) => authorization === `Bearer ${TOKEN}`,
    startedAt: STARTED,
    demoKeyIds: options.demoKeyIds,
  })
  return {
    store,
    lines,
    reasons,
    setClock: (ms) => (clock = ms),
    request: (path, { method = 'GET', authorization = `Bearer ${TOKEN}` } = {}) =>
      rawRequest(`${url}${path}`, {
        method,
        headers: authorization === null ? {} : { authorization },
      }),
    counts: () => requestCounts(realMetrics),
  }
}

const body = (answer: RawResponse): unknown => JSON.parse(answer.body)
const errorOf = (code: string, message: string) => ({ error: { code, message } })

describe('GET /status', () => {
  it('answers every field from the store, the refresher and the listener, as the config comes, ages and fails', async () => {
    const sidecar = await start({ maxStalenessMs: 60_000 })
    const empty = {
      source: 'file:/srv/config.json',
      ready: false,
      version: null,
      etag: null,
      stale: false,
      tooStale: false,
      fromSnapshot: false,
      ageSeconds: null,
      secrets: 0,
      demoKey: false,
      demoKeyIds: [],
      lastSuccessAt: null,
      lastChangeAt: null,
      lastError: null,
      nextRefreshAt: iso(NEXT),
      startedAt: iso(STARTED),
      waiting: { streams: 0, longPolls: 0 },
      lastChange: null,
      files: [],
      onChange: null,
    }
    const before = await sidecar.request('/status')
    expect(before.status).toBe(200)
    expect(before.headers['content-type']).toBe(JSON_TYPE)
    expect(before.headers['cache-control']).toBe('no-store')
    expect(before.headers['x-powered-by']).toBeUndefined()
    expect(before.headers['etag']).toBeUndefined()
    expect(body(before)).toEqual(empty)

    const first = servedConfig({ a: 1 }, 'v1')
    sidecar.store.accept(first)
    sidecar.setClock(T0 + 2_999)
    expect(body(await sidecar.request('/status'))).toEqual({
      ...empty,
      ready: true,
      version: 'v1',
      etag: first.full.etag,
      ageSeconds: 2,
      lastSuccessAt: iso(T0),
      lastChangeAt: iso(T0),
    })

    // A change, then no good refresh for longer than CONFIG_MAX_STALENESS, and a failure.
    const second = servedConfig({ a: 2, b: true }, 'v2')
    sidecar.setClock(T0 + 3_000)
    sidecar.store.accept(second)
    sidecar.setClock(T0 + 64_500)
    sidecar.store.fail(new SidecarError('ERR_SOURCE_NOT_FOUND', 'no file at /srv/config.json'))
    expect(body(await sidecar.request('/status'))).toEqual({
      ...empty,
      ready: false,
      version: 'v2',
      etag: second.full.etag,
      stale: true,
      tooStale: true,
      ageSeconds: 61,
      lastSuccessAt: iso(T0 + 3_000),
      lastChangeAt: iso(T0 + 3_000),
      lastError: {
        code: 'ERR_SOURCE_NOT_FOUND',
        message: 'no file at /srv/config.json',
        at: iso(T0 + 64_500),
      },
      lastChange: {
        at: iso(T0 + 3_000),
        fromVersion: 'v1',
        toVersion: 'v2',
        added: ['b'],
        removed: [],
        changed: ['a'],
        more: 0,
      },
    })
    expect(await sidecar.counts()).toEqual({ 'status 200': 3 })
  })

  it('says when the demo key is in use, naming its kids', async () => {
    const sidecar = await start({ demoKeyIds: ['demo-2024'] })
    expect(body(await sidecar.request('/status'))).toMatchObject({
      demoKey: true,
      demoKeyIds: ['demo-2024'],
    })
  })

  it('lists the config files and the on-change command: paths, versions, outcomes and times', async () => {
    const status: { current: ConfigFilesStatus } = {
      current: {
        files: [
          {
            path: '/srv/app.properties',
            format: 'properties',
            version: 'v1',
            writtenAt: T0 - 1_000,
            lastError: { outcome: 'failed', reason: 'EACCES: permission denied', at: T0 - 500 },
          },
          {
            path: '/srv/app.env',
            format: 'env',
            version: null,
            writtenAt: undefined,
            lastError: undefined,
          },
        ],
        writes: { written: 1, failed: 1, refused: 0 },
        onChange: {
          running: true,
          queued: false,
          runs: { ok: 0, failed: 0, timeout: 0, error: 0 },
          last: undefined,
        },
      },
    }
    const files: ConfigFiles = {
      update: () => Promise.reject(new Error('not written in these tests')),
      status: () => status.current,
      written: () => Promise.resolve(),
      settled: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    }
    const sidecar = await start({ files })
    const runs = { ok: 0, failed: 0, timeout: 0, error: 0 }
    expect(body(await sidecar.request('/status'))).toMatchObject({
      files: [
        {
          path: '/srv/app.properties',
          format: 'properties',
          version: 'v1',
          writtenAt: iso(T0 - 1_000),
          lastError: { outcome: 'failed', message: 'EACCES: permission denied', at: iso(T0 - 500) },
        },
        { path: '/srv/app.env', format: 'env', version: null, writtenAt: null, lastError: null },
      ],
      onChange: { running: true, queued: false, runs, last: null },
    })
    status.current = {
      ...status.current,
      onChange: {
        running: false,
        queued: true,
        runs: { ...runs, failed: 1 },
        last: {
          version: 'v1',
          startedAt: T0 - 200,
          durationMs: 40,
          outcome: 'failed',
          exitCode: 3,
          signal: null,
        },
      },
    }
    expect((body(await sidecar.request('/status')) as { onChange: unknown }).onChange).toEqual({
      running: false,
      queued: true,
      runs: { ...runs, failed: 1 },
      last: {
        version: 'v1',
        outcome: 'failed',
        exitCode: 3,
        signal: null,
        startedAt: iso(T0 - 200),
        durationMs: 40,
      },
    })
  })
})

describe('GET /metrics', () => {
  it('answers the Prometheus text, not cached, counted under metrics', async () => {
    const sidecar = await start()
    const answer = await sidecar.request('/metrics')
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['x-powered-by']).toBeUndefined()
    expect(answer.body).toContain('# TYPE config_sidecar_http_requests_total counter')
    expect(await sidecar.counts()).toEqual({ 'metrics 200': 1 })
  })

  it('drops the connection when the answer fails after it began: no second answer, no error logged', async () => {
    // Metrics are our own interface: one whose text cannot be written fails inside res.end, after
    // the headers are set.
    const sidecar = await start({
      wrapMetrics: (metrics) => ({
        ...metrics,
        render: () =>
          Promise.resolve({
            contentType: 'text/plain',
            text: new ArrayBuffer(4) as unknown as string,
          }),
      }),
    })
    await expect(sidecar.request('/metrics')).rejects.toThrow()
    expect(sidecar.lines.filter((line) => line['msg'] === 'request failed')).toEqual([])
    expect(await sidecar.counts()).toEqual({ 'metrics 200': 1 })
  })
})

describe('the guards of the operations routes', () => {
  it('answer 401 and 405 under the route asked for, with the methods it takes in Allow', async () => {
    const sidecar = await start()
    for (const path of ['/status', '/metrics', '/refresh']) {
      const answer = await sidecar.request(path, { method: 'POST', authorization: null })
      expect(answer.status, path).toBe(401)
    }
    for (const path of ['/status', '/metrics']) {
      const answer = await sidecar.request(path, { method: 'POST' })
      expect(answer.status, path).toBe(405)
      expect(answer.headers['allow'], path).toBe('GET, HEAD')
      expect(body(answer)).toEqual(errorOf('ERR_METHOD_NOT_ALLOWED', 'POST is not allowed here'))
    }
    const refresh = await sidecar.request('/refresh')
    expect(refresh.status).toBe(405)
    expect(refresh.headers['allow']).toBe('POST')
    expect(sidecar.reasons).toEqual([])
    expect(await sidecar.counts()).toEqual({
      'status 401': 1,
      'metrics 401': 1,
      'refresh 401': 1,
      'status 405': 1,
      'metrics 405': 1,
      'refresh 405': 1,
    })
  })
})

describe('POST /refresh', () => {
  it('refreshes for the reason manual and answers the outcome, the version, the time and the keys', async () => {
    const sidecar = await start({
      refresh: () =>
        Promise.resolve(
          outcomeOf({
            outcome: 'changed',
            version: 'v7',
            durationMs: 12,
            changes: { added: ['b'], removed: [], changed: ['a'] },
          }),
        ),
    })
    const answer = await sidecar.request('/refresh', { method: 'POST' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe(JSON_TYPE)
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['x-powered-by']).toBeUndefined()
    expect(body(answer)).toEqual({
      outcome: 'changed',
      version: 'v7',
      durationMs: 12,
      keys: ['a', 'b'],
    })
    expect(sidecar.reasons).toEqual(['manual'])
    expect(await sidecar.counts()).toEqual({ 'refresh 200': 1 })
  })

  it('answers a failure with 502, the error and a null version', async () => {
    const sidecar = await start({
      refresh: () =>
        Promise.resolve(
          outcomeOf({
            outcome: 'failed',
            version: undefined,
            durationMs: 3,
            error: new SidecarError('ERR_SOURCE_NOT_FOUND', 'no file at /srv/config.json'),
          }),
        ),
    })
    const answer = await sidecar.request('/refresh', { method: 'POST' })
    expect(answer.status).toBe(502)
    expect(body(answer)).toEqual({
      outcome: 'failed',
      version: null,
      durationMs: 3,
      error: { code: 'ERR_SOURCE_NOT_FOUND', message: 'no file at /srv/config.json' },
    })
    expect(await sidecar.counts()).toEqual({ 'refresh 502': 1 })
  })

  it('takes 3 at once, then answers 429 with Retry-After and the rule, without refreshing', async () => {
    const sidecar = await start()
    const statuses: number[] = []
    let limited: RawResponse | undefined
    // Three go at once; one more comes back every 5 s, so a busy machine may let a fourth through.
    while (limited === undefined && statuses.length < 10) {
      const answer = await sidecar.request('/refresh', { method: 'POST' })
      statuses.push(answer.status)
      if (answer.status === 429) limited = answer
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(limited).toBeDefined()
    const retryAfter = Number(limited!.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(5)
    expect(body(limited!)).toEqual(
      errorOf('ERR_RATE_LIMITED', 'refresh is rate limited: 3 at once, then one every 5 s'),
    )
    expect(sidecar.reasons).toHaveLength(statuses.length - 1)
    expect(await sidecar.counts()).toEqual({
      'refresh 200': statuses.length - 1,
      'refresh 429': 1,
    })
  })
})

describe('unknown routes', () => {
  it('answer a JSON 404 naming the routes there are, counted under other', async () => {
    const sidecar = await start()
    const answer = await sidecar.request('/nope')
    expect(answer.status).toBe(404)
    expect(answer.headers['content-type']).toBe(JSON_TYPE)
    expect(answer.headers['x-powered-by']).toBeUndefined()
    expect(body(answer)).toEqual(
      errorOf(
        'ERR_NOT_FOUND',
        'no such route: see /config/, /changes, /livez, /readyz, /status, /metrics, /refresh',
      ),
    )
    expect(await sidecar.counts()).toEqual({ 'other 404': 1 })
  })
})

describe('a failure while answering', () => {
  it('with a 4xx status answers 400 ERR_BAD_REQUEST and logs nothing; any other answers 500 and is logged', async () => {
    for (const [status, expected] of [
      [400, 400],
      [499, 400],
      [399, 500],
      [500, 500],
      ['450', 500],
      [undefined, 500],
    ] as const) {
      const failure = Object.assign(new Error(`failed with ${String(status)}`), { status })
      const sidecar = await start({ refresh: () => Promise.reject(failure) })
      const answer = await sidecar.request('/refresh', { method: 'POST' })
      expect(answer.status, String(status)).toBe(expected)
      const logged = sidecar.lines.filter((line) => line['msg'] === 'request failed')
      if (expected === 400) {
        expect(body(answer)).toEqual(errorOf('ERR_BAD_REQUEST', 'the request cannot be read'))
        expect(logged).toEqual([])
        expect(await sidecar.counts()).toEqual({ 'other 400': 1 })
      } else {
        expect(body(answer)).toEqual(
          errorOf('ERR_INTERNAL', 'internal error (details are in the sidecar log)'),
        )
        expect(logged).toEqual([
          expect.objectContaining({
            level: 'error',
            code: 'ERR_INTERNAL',
            reason: `failed with ${String(status)}`,
          }),
        ])
        expect(await sidecar.counts()).toEqual({ 'other 500': 1 })
      }
    }
  })
})
