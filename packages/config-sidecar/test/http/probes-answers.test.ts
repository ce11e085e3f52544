// What `/livez` and `/readyz` answer, on the probe-only listener of CONFIG_HEALTH_PORT: the exact
// JSON bodies (alive; ready; not ready without a config; not ready past CONFIG_MAX_STALENESS), HEAD,
// the 405 with its Allow header, and the route each answer is counted under in the metrics. The
// store and the metrics are the real ones, on a clock the test moves.
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import { requestCounts } from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { listen } from '../../../../test-support/servers.js'
import { createMetrics } from '../../src/http/metrics.js'
import type { Metrics } from '../../src/http/metrics.js'
import { createHealthListener } from '../../src/http/server.js'
import { createConfigStore } from '../../src/state/store.js'
import type { ConfigStore } from '../../src/state/store.js'
import { SidecarError } from '../../src/support/errors.js'

/** A health listener on port 0 over a store on a clock the test moves. */
async function healthListener(options: { maxStalenessMs?: number } = {}): Promise<{
  url: string
  store: ConfigStore
  metrics: Metrics
  advance: (ms: number) => void
}> {
  let now = 1_700_000_000_000
  const store = createConfigStore({ now: () => now, maxStalenessMs: options.maxStalenessMs })
  const metrics = createMetrics(store)
  const { port } = await listen(createHealthListener(store, metrics))
  return { url: `http://127.0.0.1:${port}`, store, metrics, advance: (ms) => (now += ms) }
}

describe('the probes', () => {
  it('answer alive at once, and not ready with the reason before the first config', async () => {
    const health = await healthListener()
    const live = await rawRequest(`${health.url}/livez`)
    expect(live.status).toBe(200)
    expect(live.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(live.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(live.body)).toEqual({ status: 'alive' })
    const ready = await rawRequest(`${health.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(JSON.parse(ready.body)).toEqual({ status: 'not-ready', reason: 'no config yet' })
    expect(await requestCounts(health.metrics)).toEqual({ 'livez 200': 1, 'readyz 503': 1 })
  })

  it('answer ready with the stale flag, and no version or ETag', async () => {
    const health = await healthListener()
    health.store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
    const ready = await rawRequest(`${health.url}/readyz?verbose=1`)
    expect(ready.status).toBe(200)
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', stale: false })
    expect(ready.headers['etag']).toBeUndefined()
    expect(ready.headers['x-config-version']).toBeUndefined()
    health.store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'the upstream is down'))
    const stale = await rawRequest(`${health.url}/readyz`)
    expect(stale.status).toBe(200)
    expect(JSON.parse(stale.body)).toEqual({ status: 'ready', stale: true })
    expect(await requestCounts(health.metrics)).toEqual({ 'readyz 200': 2 })
  })

  it('answer not ready, stale, past CONFIG_MAX_STALENESS while /livez stays alive', async () => {
    const health = await healthListener({ maxStalenessMs: 30_000 })
    health.store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
    health.advance(31_000)
    const ready = await rawRequest(`${health.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(JSON.parse(ready.body)).toEqual({
      status: 'not-ready',
      reason: 'config older than CONFIG_MAX_STALENESS',
      stale: true,
    })
    expect((await rawRequest(`${health.url}/livez`)).status).toBe(200)
    expect(await requestCounts(health.metrics)).toEqual({ 'readyz 503': 1, 'livez 200': 1 })
  })

  it('answer HEAD like GET, without a body', async () => {
    const health = await healthListener()
    health.store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
    for (const path of ['/livez', '/readyz']) {
      const head = await rawRequest(`${health.url}${path}`, { method: 'HEAD' })
      expect(head.status, path).toBe(200)
      expect(head.body, path).toBe('')
    }
    expect(await requestCounts(health.metrics)).toEqual({ 'livez 200': 1, 'readyz 200': 1 })
  })

  it('answer any other method 405 with Allow: GET, HEAD, counted under the probe', async () => {
    const health = await healthListener()
    for (const [path, method] of [
      ['/livez', 'POST'],
      ['/readyz', 'DELETE'],
      ['/readyz', 'PUT'],
    ] as const) {
      const answer = await rawRequest(`${health.url}${path}`, { method })
      expect(answer.status, `${method} ${path}`).toBe(405)
      expect(answer.headers['allow'], `${method} ${path}`).toBe('GET, HEAD')
      expect(JSON.parse(answer.body)).toEqual({
        error: { code: 'ERR_METHOD_NOT_ALLOWED', message: `${method} is not allowed here` },
      })
    }
    // One answer each: nothing else (a 404 after the 405, say) is sent or counted.
    expect(await requestCounts(health.metrics)).toEqual({ 'livez 405': 1, 'readyz 405': 2 })
  })
})
