// What the app's own routes answer, exactly: GET /config's headers, bodies and log lines for every
// answer of the sidecar (200, 304, not ready, down, hanging), the probes' bodies, the 404, and the
// app without its page. Against a sidecar on a real port; a hand-written SidecarClient only where
// no real sidecar can fail the way the test needs.
import { createLogger } from '@sample/shared'
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { rawRequest } from '../../../test-support/http.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { parsed } from '../../../test-support/logs.js'
import { closedPort } from '../../../test-support/ports.js'
import { listen } from '../../../test-support/servers.js'
import { createApp } from '../src/app.js'
import type { SidecarClient } from '../src/sidecar-client.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { createSidecarState } from '../src/sidecar-state.js'
import type { SidecarState } from '../src/sidecar-state.js'

/** The app's log lines without their time. */
function lines(logs: readonly string[]): Record<string, unknown>[] {
  return parsed(logs).map((line) =>
    Object.fromEntries(Object.entries(line).filter(([name]) => name !== 'time')),
  )
}

/** The app without its page (the article's routes only), on a real port, its logs kept. */
async function appWithoutPage(
  sidecarPort: number,
  overrides: { sidecar?: SidecarClient; state?: SidecarState } = {},
): Promise<{ url: string; logs: string[] }> {
  const logs: string[] = []
  const logger = createLogger({ write: (line) => logs.push(line) })
  const sidecar =
    overrides.sidecar ?? createSidecarClient(`http://127.0.0.1:${sidecarPort}`, undefined)
  const state = overrides.state ?? createSidecarState(sidecar, logger)
  const { port } = await listen(createApp({ sidecar, sidecarPort, state, logger }))
  return { url: `http://127.0.0.1:${port}`, logs }
}

/** A sidecar that answers every request with this status, headers and body. */
async function answering(status: number, headers: Record<string, string>, body: string) {
  const seen: (string | undefined)[] = []
  const { port } = await listen((req, res) => {
    seen.push(req.headers['if-none-match'])
    res.writeHead(status, headers).end(body)
  })
  return { port, seen }
}

const unavailableHeaders = {
  'retry-after': '2',
  'cache-control': 'no-store',
  'content-type': 'application/json; charset=utf-8',
}

describe('GET /config, answered', () => {
  it("passes on the sidecar's config headers, a no-store JSON body of the exact length, and logs the version, staleness and size", async () => {
    const body = '{"greeting":"héllo"}'
    const sidecar = await answering(
      200,
      {
        'content-type': 'application/json',
        etag: '"redacted-9"',
        'x-config-version': 'v9',
        'x-config-stale': 'true',
        age: '12',
        'x-other': 'not passed on',
      },
      body,
    )
    const app = await startInProcessApp(sidecar.port)
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(200)
    expect(response.body).toBe(body)
    expect(response.headers).toMatchObject({
      etag: '"redacted-9"',
      'x-config-version': 'v9',
      'x-config-stale': 'true',
      age: '12',
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      'x-content-type-options': 'nosniff',
    })
    expect(response.headers['x-other']).toBeUndefined()
    expect(response.headers['x-powered-by']).toBeUndefined()
    expect(sidecar.seen).toEqual([undefined])
    expect(lines(app.logs)).toEqual([
      {
        level: 'info',
        msg: `Sending a request to the config-server sidecar at localhost:${sidecar.port}/config/`,
      },
      {
        level: 'info',
        msg: 'Received config version v9 from the sidecar',
        stale: true,
        bytes: Buffer.byteLength(body),
      },
    ])
  })

  it('says fresh in its log line when the sidecar does not say stale, and leaves out the headers the sidecar did not send', async () => {
    const sidecar = await answering(200, { 'content-type': 'application/json' }, '{"a":1}')
    const app = await startInProcessApp(sidecar.port)
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(200)
    expect(response.body).toBe('{"a":1}')
    for (const name of ['etag', 'x-config-version', 'x-config-stale', 'age'])
      expect(response.headers[name], name).toBeUndefined()
    expect(lines(app.logs)[1]).toEqual({
      level: 'info',
      msg: 'Received config version undefined from the sidecar',
      stale: false,
      bytes: 7,
    })
  })

  it('answers 304 with no body, no-store and the config headers, and logs no "Received" line', async () => {
    const sidecar = await answering(
      304,
      { etag: '"redacted-3"', 'x-config-version': 'v3', 'x-config-stale': 'false', age: '1' },
      '',
    )
    const app = await startInProcessApp(sidecar.port)
    const response = await rawRequest(`${app.url}/config`, {
      headers: { 'if-none-match': '"redacted-3"' },
    })
    expect(response.status).toBe(304)
    expect(response.body).toBe('')
    expect(response.headers).toMatchObject({
      etag: '"redacted-3"',
      'x-config-version': 'v3',
      'x-config-stale': 'false',
      age: '1',
      'cache-control': 'no-store',
    })
    expect(sidecar.seen).toEqual(['"redacted-3"'])
    expect(lines(app.logs)).toEqual([
      {
        level: 'info',
        msg: `Sending a request to the config-server sidecar at localhost:${sidecar.port}/config/`,
      },
    ])
  })
})

describe('GET /config, unavailable', () => {
  it('answers 503 ERR_SIDECAR_UNAVAILABLE naming the sidecar, and logs the network error code when the sidecar is down', async () => {
    const port = await closedPort()
    const app = await startInProcessApp(port)
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(response.headers).toMatchObject(unavailableHeaders)
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'ERR_SIDECAR_UNAVAILABLE',
        message: `the config sidecar at localhost:${port} did not answer`,
      },
    })
    expect(lines(app.logs)[1]).toEqual({
      level: 'warn',
      msg: 'the sidecar did not answer',
      reason: 'ECONNREFUSED',
    })
  })

  it('logs ETIMEDOUT when the sidecar hangs', async () => {
    const { port } = await listen(() => undefined)
    const app = await startInProcessApp(port)
    expect((await rawRequest(`${app.url}/config`)).status).toBe(503)
    expect(lines(app.logs)[1]).toEqual({
      level: 'warn',
      msg: 'the sidecar did not answer',
      reason: 'ETIMEDOUT',
    })
  })

  it('logs "error" for a failure without a code, never its message', async () => {
    const failing: SidecarClient = {
      baseUrl: 'http://127.0.0.1:1',
      get: () => Promise.reject(new Error('fixture-message-should-not-be-logged')),
      openStream: () => Promise.reject(new Error('no stream')),
    }
    const app = await appWithoutPage(1, { sidecar: failing })
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(lines(app.logs)[1]).toEqual({
      level: 'warn',
      msg: 'the sidecar did not answer',
      reason: 'error',
    })
    expect(app.logs.join('')).not.toContain('fixture-message-should-not-be-logged')
  })

  it('answers 503 ERR_SIDECAR_NOT_READY with the status the sidecar gave, and logs it', async () => {
    const sidecar = await answering(
      503,
      { 'content-type': 'application/json' },
      '{"error":{"code":"ERR_CONFIG_NOT_READY","message":"x"}}',
    )
    const app = await startInProcessApp(sidecar.port)
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(response.headers).toMatchObject(unavailableHeaders)
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_SIDECAR_NOT_READY', message: 'the config sidecar answered HTTP 503' },
    })
    expect(lines(app.logs)[1]).toEqual({
      level: 'warn',
      msg: 'the sidecar could not give the config',
      status: 503,
    })
  })

  it('answers 503 ERR_SIDECAR_NOT_READY for an empty 200', async () => {
    const sidecar = await answering(200, { 'content-type': 'application/json' }, '')
    const app = await startInProcessApp(sidecar.port)
    const response = await rawRequest(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_SIDECAR_NOT_READY', message: 'the config sidecar answered HTTP 200' },
    })
    expect(lines(app.logs)[1]).toEqual({
      level: 'warn',
      msg: 'the sidecar could not give the config',
      status: 200,
    })
  })
})

describe('the probes and the 404', () => {
  it('answers /livez {"status":"alive"} as JSON, with no ETag and no X-Powered-By', async () => {
    const app = await appWithoutPage(await closedPort())
    const response = await rawRequest(`${app.url}/livez`)
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toEqual({ status: 'alive' })
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['etag']).toBeUndefined()
    expect(response.headers['x-powered-by']).toBeUndefined()
  })

  it('answers /readyz ready or not-ready, and not-ready when the sidecar is down', async () => {
    const sidecar = await fakeSidecar()
    const ready = await appWithoutPage(sidecar.port)
    const yes = await rawRequest(`${ready.url}/readyz`)
    expect([yes.status, JSON.parse(yes.body)]).toEqual([200, { status: 'ready' }])
    sidecar.state.full = undefined
    const no = await rawRequest(`${ready.url}/readyz`)
    expect([no.status, JSON.parse(no.body)]).toEqual([503, { status: 'not-ready' }])

    const down = await appWithoutPage(await closedPort())
    const refused = await rawRequest(`${down.url}/readyz`)
    expect([refused.status, JSON.parse(refused.body)]).toEqual([503, { status: 'not-ready' }])
  })

  it('answers 404 ERR_NOT_FOUND as JSON for an unknown route, and for / and /events without the page', async () => {
    const app = await appWithoutPage(await closedPort())
    for (const path of ['/no-such-route', '/', '/events']) {
      const response = await rawRequest(`${app.url}${path}`)
      expect(response.status, path).toBe(404)
      expect(response.headers['content-type'], path).toBe('application/json; charset=utf-8')
      expect(JSON.parse(response.body), path).toEqual({
        error: { code: 'ERR_NOT_FOUND', message: 'no such route: see /, /config, /livez, /readyz' },
      })
    }
  })
})
