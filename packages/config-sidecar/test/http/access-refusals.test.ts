// The local-caller token and the allowed methods, on every guarded route (config, changes, status,
// metrics, refresh): the exact 401 (WWW-Authenticate, message) and 405 (Allow) answers, and what each
// refusal hands to the refusal log: its kind (no-token for a missing or blank header, wrong-token
// else) and the route and method, never the header. Also a sidecar with no refusal log, and one with
// the token off. The real request listener on 127.0.0.1:0 with a real store, metrics and config
// route; the refusal log and the refresher are our own interfaces, faked.
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import {
  UNUSED_REFRESHER,
  listenLoopback,
  recordingRefusals,
} from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { createConfigStore } from '../../src/state/store.js'

const TOKEN = 'access-token-0123456789abcdef'

async function start(options: { tokens: boolean; refusalLog: boolean }) {
  const store = createConfigStore()
  store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
  const { log, refused } = recordingRefusals()
  const { url } = await listenLoopback({
    store,
    refresher: {
      ...UNUSED_REFRESHER,
      refresh: (reason) =>
        Promise.resolve({
          outcome: 'unchanged',
          reason,
          version: 'v1',
          error: undefined,
          durationMs: 1,
          decrypted: 0,
        }),
    },
    checkToken: options.tokens ? (authorization) => authorization === `Bearer ${TOKEN}` : undefined,
    refusals: options.refusalLog ? log : undefined,
  })
  const etag = store.current()!.full.etag
  return {
    refusals: refused,
    /** The routes each guard covers, as requests that pass them. */
    paths: {
      config: '/config/',
      changes: `/changes?since=${encodeURIComponent(etag)}`,
      status: '/status',
      metrics: '/metrics',
    },
    request: (path: string, method = 'GET', headers: Record<string, string> = {}) =>
      rawRequest(`${url}${path}`, { method, headers }),
  }
}

const body = (answer: RawResponse): unknown => JSON.parse(answer.body)
const UNAUTHORIZED = {
  error: {
    code: 'ERR_UNAUTHORIZED',
    message: 'send Authorization: Bearer <token> (see the README: local callers)',
  },
}

describe('without the token', () => {
  it('answers 401 with WWW-Authenticate and how to send it, on every guarded route', async () => {
    const sidecar = await start({ tokens: true, refusalLog: true })
    const routes = [
      ['config', '/config/', 'GET'],
      ['changes', sidecar.paths.changes, 'GET'],
      ['status', '/status', 'GET'],
      ['metrics', '/metrics', 'GET'],
      ['refresh', '/refresh', 'POST'],
    ] as const
    for (const [route, path, method] of routes) {
      const answer = await sidecar.request(path, method)
      expect(answer.status, route).toBe(401)
      expect(answer.headers['www-authenticate'], route).toBe('Bearer realm="config-sidecar"')
      expect(answer.headers['content-type'], route).toBe('application/json; charset=utf-8')
      expect(body(answer), route).toEqual(UNAUTHORIZED)
    }
    expect(sidecar.refusals).toEqual(
      routes.map(([route]) => ({ kind: 'no-token', sample: { route } })),
    )
  })

  it('logs a missing, empty or blank header as no-token and any other as wrong-token, never the header', async () => {
    const sidecar = await start({ tokens: true, refusalLog: true })
    const headers = [
      {},
      { authorization: '' },
      // A no-break space: the HTTP parser keeps it, and it is no token either.
      { authorization: '\u00a0' },
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: `Basic ${TOKEN}` },
    ]
    for (const sent of headers) {
      expect((await sidecar.request('/status', 'GET', sent)).status).toBe(401)
    }
    expect(sidecar.refusals).toEqual([
      { kind: 'no-token', sample: { route: 'status' } },
      { kind: 'no-token', sample: { route: 'status' } },
      { kind: 'no-token', sample: { route: 'status' } },
      { kind: 'wrong-token', sample: { route: 'status' } },
      { kind: 'wrong-token', sample: { route: 'status' } },
    ])
  })

  it('answers 401 just the same when there is no refusal log', async () => {
    const sidecar = await start({ tokens: true, refusalLog: false })
    for (const path of ['/status', '/config/']) {
      const answer = await sidecar.request(path, 'GET', { authorization: 'Bearer wrong' })
      expect(answer.status, path).toBe(401)
      expect(body(answer), path).toEqual(UNAUTHORIZED)
    }
  })
})

describe('a method a route does not take', () => {
  it('answers 405 with Allow, and logs the method and the route', async () => {
    const sidecar = await start({ tokens: true, refusalLog: true })
    const auth = { authorization: `Bearer ${TOKEN}` }
    const cases = [
      ['config', '/config/', 'DELETE', 'GET, HEAD'],
      ['changes', sidecar.paths.changes, 'PUT', 'GET, HEAD'],
      ['status', '/status', 'POST', 'GET, HEAD'],
      ['refresh', '/refresh', 'GET', 'POST'],
    ] as const
    for (const [route, path, method, allow] of cases) {
      const answer = await sidecar.request(path, method, auth)
      expect(answer.status, route).toBe(405)
      expect(answer.headers['allow'], route).toBe(allow)
      expect(body(answer), route).toEqual({
        error: { code: 'ERR_METHOD_NOT_ALLOWED', message: `${method} is not allowed here` },
      })
    }
    expect(sidecar.refusals).toEqual(
      cases.map(([route, , method]) => ({ kind: 'method-not-allowed', sample: { method, route } })),
    )
  })

  it('answers 405 just the same when there is no refusal log', async () => {
    const sidecar = await start({ tokens: true, refusalLog: false })
    const auth = { authorization: `Bearer ${TOKEN}` }
    for (const path of ['/status', '/config/']) {
      const answer = await sidecar.request(path, 'POST', auth)
      expect(answer.status, path).toBe(405)
      expect(answer.headers['allow'], path).toBe('GET, HEAD')
    }
  })
})

describe('with the token off (CONFIG_SIDECAR_AUTH=none)', () => {
  it('answers every route without Authorization, and still only to the methods it takes', async () => {
    const sidecar = await start({ tokens: false, refusalLog: true })
    for (const path of Object.values(sidecar.paths)) {
      expect((await sidecar.request(path)).status, path).toBe(200)
    }
    expect((await sidecar.request('/refresh', 'POST')).status).toBe(200)
    expect((await sidecar.request('/status', 'POST')).status).toBe(405)
    expect(sidecar.refusals).toEqual([
      { kind: 'method-not-allowed', sample: { method: 'POST', route: 'status' } },
    ])
  })
})
