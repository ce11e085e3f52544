// `GET /changes?since=<etag>` answered exactly: 400 without an ETag (missing, empty or blank), 503
// with Retry-After before the first config, 410 for an ETag it does not know, and 200 with `from`
// (the ETag as read: bare, weak or padded) and `to` (that view's ETag now, null when its format can
// no longer hold the config); each counted under the route changes. The real request listener on
// 127.0.0.1:0 with a real store, metrics and config route; configs go straight into the store.
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import { listenLoopback, requestCounts } from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'

const RETRY_AFTER_SECONDS = 7

async function start() {
  const { url, deps } = await listenLoopback({ retryAfterSeconds: RETRY_AFTER_SECONDS })
  let version = 0
  return {
    /** Serves `document` as the next version. */
    serve(document: Record<string, unknown>): string {
      version += 1
      const config = servedConfig(document, `v${version}`)
      deps.store.accept(config)
      return config.full.etag
    },
    get: (path: string) => rawRequest(`${url}${path}`),
    /** `route status` → count, from config_sidecar_http_requests_total. */
    counts: () => requestCounts(deps.metrics),
  }
}

const body = (answer: RawResponse): unknown => JSON.parse(answer.body)
const since = (etag: string): string => `/changes?since=${encodeURIComponent(etag)}`

describe('GET /changes?since=', () => {
  it('answers 400 saying how to ask when the ETag is missing, empty or blank', async () => {
    const sidecar = await start()
    sidecar.serve({ a: 1 })
    for (const path of [
      '/changes',
      '/changes?since=',
      '/changes?since=%20%20',
      '/changes?other=1',
    ]) {
      const answer = await sidecar.get(path)
      expect(answer.status, path).toBe(400)
      expect(body(answer), path).toEqual({
        error: {
          code: 'ERR_BAD_REQUEST',
          message: 'ask /changes?since=<etag>, with the ETag of the config you hold',
        },
      })
    }
    expect(await sidecar.counts()).toEqual({ 'changes 400': 4 })
  })

  it('answers 503 with Retry-After before the first config', async () => {
    const sidecar = await start()
    const answer = await sidecar.get('/changes?since=%22abc%22')
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS))
    expect(body(answer)).toEqual({
      error: {
        code: 'ERR_CONFIG_NOT_READY',
        message: 'no config yet: the first refresh has not succeeded',
      },
    })
    expect(await sidecar.counts()).toEqual({ 'changes 503': 1 })
  })

  it('answers 410 telling the client to read the config again for an ETag it does not know', async () => {
    const sidecar = await start()
    const etag = sidecar.serve({ a: 1 })
    // Only a leading W/ marks a weak ETag: anywhere else it is part of what was sent.
    for (const unknown of ['"not-served"', `${etag}W/`]) {
      const answer = await sidecar.get(since(unknown))
      expect(answer.status, unknown).toBe(410)
      expect(body(answer), unknown).toEqual({
        error: {
          code: 'ERR_CHANGES_UNKNOWN_ETAG',
          message:
            'that ETag is not one of the configs served since the last 32 changes: read the config again',
        },
      })
    }
    expect(await sidecar.counts()).toEqual({ 'changes 410': 2 })
  })

  it('reads the ETag quoted, bare, weak or padded with spaces, and answers it as quoted', async () => {
    const sidecar = await start()
    const first = sidecar.serve({ a: 1 })
    const now = sidecar.serve({ a: 2, b: 1 })
    for (const sent of [first, first.slice(1, -1), `W/${first}`, `  ${first} `]) {
      const answer = await sidecar.get(since(sent))
      expect(answer.status, sent).toBe(200)
      expect(answer.headers['etag'], sent).toBeUndefined()
      expect(body(answer), sent).toEqual({ from: first, to: now, keys: ['a', 'b'] })
    }
    expect(await sidecar.counts()).toEqual({ 'changes 200': 4 })
  })

  it('answers `to` as the ETag of the view the client read: a format view of its own, null when that format can no longer hold the config', async () => {
    const sidecar = await start()
    sidecar.serve({ app: { name: 'demo' } })
    const flat = (await sidecar.get('/config/?format=flat')).headers['etag'] as string
    const json = (await sidecar.get('/config/')).headers['etag'] as string
    expect(flat).not.toBe(json)

    sidecar.serve({ app: { name: 'demo', port: 8080 } })
    const flatNow = (await sidecar.get('/config/?format=flat')).headers['etag'] as string
    expect(body(await sidecar.get(since(flat)))).toEqual({
      from: flat,
      to: flatNow,
      keys: ['app.port'],
    })

    // `a.b` and `a: {b}` are one key in the flat view: it cannot hold this config.
    sidecar.serve({ 'a.b': 1, a: { b: 2 } })
    expect((await sidecar.get('/config/?format=flat')).status).toBe(502)
    expect(body(await sidecar.get(since(flat)))).toEqual({
      from: flat,
      to: null,
      keys: ['a.b', 'app.name', 'app.port'],
    })
  })
})
