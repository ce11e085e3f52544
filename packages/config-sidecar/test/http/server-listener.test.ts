// The loopback request listener and the probe-only health listener, each on a node:http server of
// its own: the guards in their order (connection cap 429, proxied 400, foreign Host 403) with their
// exact answers, which paths reach the config and changes routes and which fall through to the 404,
// the route a refusal is counted and logged under, and the 404 of the health listener. The store,
// the metrics and the config route are the real ones; the refusal log is a recorder of our own
// interface, so every refusal and its facts are seen (the real one rate limits them).
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import {
  loopbackDeps,
  recordingRefusals,
  requestCounts,
} from '../../../../test-support/loopback-listener.js'
import type { Refusal } from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { listen } from '../../../../test-support/servers.js'
import { createBearerCheck } from '../../src/http/guards.js'
import { createMetrics } from '../../src/http/metrics.js'
import type { Metrics } from '../../src/http/metrics.js'
import { createHealthListener, createRequestListener } from '../../src/http/server.js'
import { createConfigStore } from '../../src/state/store.js'

const TOKEN = 'listener-test-token-0123456789'
const AUTH = { authorization: `Bearer ${TOKEN}` }

/**
 * The loopback listener on port 0 over a store holding `{"greeting": "hello"}`. With `refusals:
 * false` it has no refusal log, as the deps allow (`refusals` is optional).
 */
async function loopback(options: { refusals?: boolean } = {}): Promise<{
  url: string
  metrics: Metrics
  refused: Refusal[]
  thrown: unknown[]
  setOverLimit: (over: boolean) => void
}> {
  const store = createConfigStore()
  store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
  const { log, refused } = recordingRefusals()
  let overLimit = false
  const deps = loopbackDeps({
    store,
    retryAfterSeconds: 1,
    checkToken: createBearerCheck(TOKEN),
    sourceDisplay: 'file:/test/config.json',
    overConnectionLimit: () => overLimit,
    refusals: options.refusals === false ? undefined : log,
  })
  const listener = createRequestListener(deps)
  // A throw out of the listener would stop a real sidecar (an uncaught exception): it is kept here
  // so that a test can say there was none.
  const thrown: unknown[] = []
  const { port } = await listen((req, res) => {
    try {
      listener(req, res)
    } catch (error) {
      thrown.push(error)
    }
  })
  return {
    url: `http://127.0.0.1:${port}`,
    metrics: deps.metrics,
    refused,
    thrown,
    setOverLimit: (over) => (overLimit = over),
  }
}

const body = (answer: RawResponse): unknown => JSON.parse(answer.body)

describe('the guards of the loopback listener', () => {
  it('refuses past the connection cap with 429, Retry-After: 1 and Connection: close', async () => {
    const listener = await loopback()
    listener.setOverLimit(true)
    // Even a probe: the cap comes before everything else.
    for (const path of ['/config/', '/livez']) {
      const answer = await rawRequest(`${listener.url}${path}`, { headers: AUTH })
      expect(answer.status, path).toBe(429)
      expect(answer.headers['retry-after'], path).toBe('1')
      expect(answer.headers['connection'], path).toBe('close')
      expect(body(answer)).toEqual({
        error: { code: 'ERR_TOO_MANY_CONNECTIONS', message: 'too many open connections' },
      })
    }
    expect(listener.refused).toEqual([
      { kind: 'too-many-connections', sample: undefined },
      { kind: 'too-many-connections', sample: undefined },
    ])
    expect(await requestCounts(listener.metrics)).toEqual({ 'other 429': 2 })
    listener.setOverLimit(false)
    expect((await rawRequest(`${listener.url}/config/`, { headers: AUTH })).status).toBe(200)
  })

  it('refuses a proxied request with 400 and says why', async () => {
    const listener = await loopback()
    const answer = await rawRequest(`${listener.url}/config/`, {
      headers: { ...AUTH, forwarded: 'for=203.0.113.9' },
    })
    expect(answer.status).toBe(400)
    expect(body(answer)).toEqual({
      error: {
        code: 'ERR_FORWARDED_REQUEST',
        message: 'proxied requests are refused: the sidecar serves only its own container',
      },
    })
    expect(listener.refused).toEqual([{ kind: 'forwarded', sample: undefined }])
    expect(await requestCounts(listener.metrics)).toEqual({ 'other 400': 1 })
  })

  it('refuses a foreign Host with 403, names the loopback names, and logs the Host', async () => {
    const listener = await loopback()
    const answer = await rawRequest(`${listener.url}/livez`, {
      headers: { host: 'rebind.example:8082' },
    })
    expect(answer.status).toBe(403)
    expect(body(answer)).toEqual({
      error: {
        code: 'ERR_HOST_NOT_ALLOWED',
        message: 'the Host header must name a loopback address (localhost, 127.0.0.1, [::1])',
      },
    })
    expect(listener.refused).toEqual([
      { kind: 'foreign-host', sample: { host: 'rebind.example:8082' } },
    ])
    expect(await requestCounts(listener.metrics)).toEqual({ 'other 403': 1 })
  })

  it('refuses the same way without a refusal log', async () => {
    const listener = await loopback({ refusals: false })
    expect((await rawRequest(`${listener.url}/livez`, { method: 'POST' })).status).toBe(405)
    expect(
      (await rawRequest(`${listener.url}/livez`, { headers: { 'x-forwarded-for': '10.0.0.1' } }))
        .status,
    ).toBe(400)
    expect(
      (await rawRequest(`${listener.url}/livez`, { headers: { host: 'evil.example' } })).status,
    ).toBe(403)
    listener.setOverLimit(true)
    expect((await rawRequest(`${listener.url}/livez`)).status).toBe(429)
    expect(await requestCounts(listener.metrics)).toEqual({
      'livez 405': 1,
      'other 400': 1,
      'other 403': 1,
      'other 429': 1,
    })
    expect(listener.thrown).toEqual([])
  })
})

describe('the routing of the loopback listener', () => {
  it('serves /config, /config/… and /config?… from the config route', async () => {
    const listener = await loopback()
    for (const path of ['/config', '/config/', '/config?redact', '/config/greeting?redact']) {
      const answer = await rawRequest(`${listener.url}${path}`, { headers: AUTH })
      expect(answer.status, path).toBe(200)
      expect(answer.headers['etag'], path).toMatch(/^"/)
    }
    const flat = await rawRequest(`${listener.url}/config?format=flat`, { headers: AUTH })
    expect(flat.status).toBe(200)
    expect(body(flat)).toEqual({ greeting: 'hello' })
    expect(await requestCounts(listener.metrics)).toEqual({ 'config 200': 5 })
  })

  it('serves /changes and /changes?… from the changes route', async () => {
    const listener = await loopback()
    const etag = (await rawRequest(`${listener.url}/config/`, { headers: AUTH })).headers['etag']!
    const since = await rawRequest(`${listener.url}/changes?since=${encodeURIComponent(etag)}`, {
      headers: AUTH,
    })
    expect(since.status).toBe(200)
    const bare = await rawRequest(`${listener.url}/changes`, { headers: AUTH })
    expect(bare.status).toBe(400)
    expect(body(bare)).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } })
    expect(await requestCounts(listener.metrics)).toEqual({
      'config 200': 1,
      'changes 200': 1,
      'changes 400': 1,
    })
  })

  it('answers paths that only begin like /config or /changes with the 404 of unknown routes', async () => {
    const listener = await loopback()
    for (const path of ['/configuration', '/config.json', '/changesets', '/changes/x', '/livez2']) {
      const answer = await rawRequest(`${listener.url}${path}`, { headers: AUTH })
      expect(answer.status, path).toBe(404)
      expect(body(answer), path).toEqual({
        error: {
          code: 'ERR_NOT_FOUND',
          message:
            'no such route: see /config/, /changes, /livez, /readyz, /status, /metrics, /refresh',
        },
      })
    }
    expect(await requestCounts(listener.metrics)).toEqual({ 'other 404': 5 })
  })

  it('counts and logs a missing token and a wrong method under the route asked for', async () => {
    const listener = await loopback()
    expect((await rawRequest(`${listener.url}/config/`)).status).toBe(401)
    expect((await rawRequest(`${listener.url}/changes?since=x`)).status).toBe(401)
    const config = await rawRequest(`${listener.url}/config/`, { method: 'DELETE', headers: AUTH })
    expect(config.status).toBe(405)
    expect(config.headers['allow']).toBe('GET, HEAD')
    const changes = await rawRequest(`${listener.url}/changes`, { method: 'POST', headers: AUTH })
    expect(changes.status).toBe(405)
    expect(changes.headers['allow']).toBe('GET, HEAD')
    expect(listener.refused).toEqual([
      { kind: 'no-token', sample: { route: 'config' } },
      { kind: 'no-token', sample: { route: 'changes' } },
      { kind: 'method-not-allowed', sample: { method: 'DELETE', route: 'config' } },
      { kind: 'method-not-allowed', sample: { method: 'POST', route: 'changes' } },
    ])
    expect(await requestCounts(listener.metrics)).toEqual({
      'config 401': 1,
      'changes 401': 1,
      'config 405': 1,
      'changes 405': 1,
    })
  })
})

describe('the probes on the loopback listener', () => {
  it('log a wrong method with the method and the probe, and nothing for GET or HEAD', async () => {
    const listener = await loopback()
    expect((await rawRequest(`${listener.url}/livez`)).status).toBe(200)
    expect((await rawRequest(`${listener.url}/readyz`, { method: 'HEAD' })).status).toBe(200)
    expect(listener.refused).toEqual([])
    for (const [path, method] of [
      ['/livez', 'POST'],
      ['/livez?probe=1', 'PUT'],
      ['/readyz', 'DELETE'],
      ['/readyz?probe=1', 'POST'],
    ] as const) {
      const answer = await rawRequest(`${listener.url}${path}`, { method })
      expect(answer.status, `${method} ${path}`).toBe(405)
      expect(answer.headers['allow']).toBe('GET, HEAD')
    }
    expect(listener.refused).toEqual([
      { kind: 'method-not-allowed', sample: { method: 'POST', route: 'livez' } },
      { kind: 'method-not-allowed', sample: { method: 'PUT', route: 'livez' } },
      { kind: 'method-not-allowed', sample: { method: 'DELETE', route: 'readyz' } },
      { kind: 'method-not-allowed', sample: { method: 'POST', route: 'readyz' } },
    ])
    expect(await requestCounts(listener.metrics)).toEqual({
      'livez 200': 1,
      'readyz 200': 1,
      'livez 405': 2,
      'readyz 405': 2,
    })
  })
})

describe('the health listener', () => {
  it('answers the probes once each and every other path with its own 404', async () => {
    const store = createConfigStore()
    store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
    const metrics = createMetrics(store)
    const { port } = await listen(createHealthListener(store, metrics))
    const url = `http://127.0.0.1:${port}`
    expect((await rawRequest(`${url}/livez`)).status).toBe(200)
    expect((await rawRequest(`${url}/readyz`)).status).toBe(200)
    for (const path of ['/config/', '/status', '/metrics', '/']) {
      const answer = await rawRequest(`${url}${path}`)
      expect(answer.status, path).toBe(404)
      expect(body(answer), path).toEqual({
        error: { code: 'ERR_NOT_FOUND', message: 'this listener serves /livez and /readyz only' },
      })
    }
    // One answer per request: a probe is not followed by a 404 as well.
    expect(await requestCounts(metrics)).toEqual({
      'livez 200': 1,
      'readyz 200': 1,
      'other 404': 4,
    })
  })
})
