// The config route on its own, answering over real HTTP from a real store whose clock the test
// moves: the exact bodies and headers of every answer SPEC.md and docs/reference.md define (errors
// included), what each answer counts in the request metrics, long polls and event streams from
// their start to their end, and which ETags `GET /changes?since=` learns from the route.
import { request } from 'node:http'
import type { ClientRequest, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openEventStream, rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { listen, onCleanup } from '../../../../test-support/servers.js'
import { waitFor } from '../../../../test-support/wait.js'
import { createConfigRoute } from '../../src/http/config-route.js'
import type { Metrics, RouteName } from '../../src/http/metrics.js'
import { createServedConfig } from '../../src/state/served-config.js'
import { createConfigStore } from '../../src/state/store.js'
import { SidecarError } from '../../src/support/errors.js'

const JSON_TYPE = 'application/json; charset=utf-8'
const RETRY_AFTER = 7

afterEach(() => {
  vi.useRealTimers()
})

/** Metrics is our own interface: this one records what the route reports. */
function recordingMetrics() {
  const requests: [RouteName, number][] = []
  const waiting: [number, number][] = []
  const metrics: Metrics = {
    countRequest: (route, status) => void requests.push([route, status]),
    setWaiting: (streams, longPolls) => void waiting.push([streams, longPolls]),
    recordRefresh: () => undefined,
    render: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
    configFiles: () => undefined,
  }
  return { metrics, requests, waiting }
}

/**
 * A config route on 127.0.0.1:0 (`/config…` to `handle`, `/changes…` to `changes`, as the sidecar's
 * listener routes them), over a store whose clock only `tick` moves. Every `res` is kept.
 */
async function startRoute(options: { maxStalenessMs?: number } = {}) {
  let clock = 1_700_000_000_000
  const store = createConfigStore({ maxStalenessMs: options.maxStalenessMs, now: () => clock })
  const { metrics, requests, waiting } = recordingMetrics()
  const route = createConfigRoute({ store, metrics, retryAfterSeconds: RETRY_AFTER })
  const responses: ServerResponse[] = []
  const { port } = await listen((req, res) => {
    const url = req.url ?? '/'
    responses.push(res)
    if (url.startsWith('/changes')) route.changes(res, url.slice('/changes'.length))
    else route.handle(req, res, url.slice('/config'.length))
  })
  // Registered after the server: runs before it is closed.
  onCleanup(() => route.closeAll())
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    store,
    route,
    requests,
    waiting,
    responses,
    tick(ms: number): void {
      clock += ms
    },
    get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
      return rawRequest(`${url}${path}`, { headers, method })
    },
  }
}

/** `{"error": {"code", "message"}}`, parsed. */
const errorOf = (answer: RawResponse): unknown => JSON.parse(answer.body)

/** A request kept open (a long poll) that the test can abandon. */
function openRequest(
  url: string,
  headers: Record<string, string>,
): { req: ClientRequest; answer: Promise<RawResponse> } {
  let req!: ClientRequest
  const answer = new Promise<RawResponse>((resolve, reject) => {
    req = request(url, { headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: 0 }),
      )
    })
    req.on('error', reject)
    req.end()
  })
  return { req, answer }
}

describe('plain reads', () => {
  it('answers 200 and 304 with the contract headers, Age in whole seconds, counted as config', async () => {
    const running = await startRoute()
    const state = servedConfig({ app: { name: 'demo' } }, 'v-17')
    running.store.accept(state)
    running.tick(12_345)

    const ok = await running.get('/config/', { connection: 'keep-alive' })
    expect(ok.status).toBe(200)
    expect(ok.body).toBe('{"app":{"name":"demo"}}')
    expect(ok.headers).toMatchObject({
      etag: state.full.etag,
      'x-config-version': 'v-17',
      'x-config-stale': 'false',
      age: '12',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': JSON_TYPE,
      'content-length': String(Buffer.byteLength(ok.body)),
      // An ordinary answer leaves the connection open for the next request.
      connection: 'keep-alive',
    })

    const unchanged = await running.get('/config/', {
      'if-none-match': state.full.etag,
      connection: 'keep-alive',
    })
    expect(unchanged.status).toBe(304)
    expect(unchanged.body).toBe('')
    expect(unchanged.headers).toMatchObject({
      etag: state.full.etag,
      'x-config-version': 'v-17',
      'x-config-stale': 'false',
      age: '12',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    // A 304 has no body, so neither a type nor a length of one.
    expect(unchanged.headers['content-type']).toBeUndefined()
    expect(unchanged.headers['content-length']).toBeUndefined()
    expect(running.requests).toEqual([
      ['config', 200],
      ['config', 304],
    ])
  })

  it('marks a config served after a failed refresh stale', async () => {
    const running = await startRoute()
    running.store.accept(servedConfig({ a: 1 }, 'v1'))
    running.store.fail(new SidecarError('ERR_SOURCE_NOT_FOUND', 'gone'))
    const answer = await running.get('/config/a')
    expect(answer.status).toBe(200)
    expect(answer.headers['x-config-stale']).toBe('true')
  })

  it('reads a path segment holding `&` or `=` as part of the path, not as a query', async () => {
    const running = await startRoute()
    running.store.accept(servedConfig({ 'a&format=yaml': 1, 'b&redact': 'plain' }, 'v1'))
    const first = await running.get('/config/a&format=yaml')
    expect(first.status).toBe(200)
    expect(first.body).toBe('1')
    expect((await running.get('/config/b&redact')).body).toBe('"plain"')
  })

  it('answers HEAD with Accept: text/event-stream as a HEAD of the config, not a stream', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v1')
    running.store.accept(state)
    const head = await running.get('/config/', { accept: 'text/event-stream' }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-type']).toBe(JSON_TYPE)
    expect(head.headers.etag).toBe(state.full.etag)
    expect(running.route.counts()).toEqual({ streams: 0, longPolls: 0 })
  })
})

describe('error answers', () => {
  it('answers 503 ERR_CONFIG_NOT_READY with Retry-After before the first config', async () => {
    const running = await startRoute()
    const answer = await running.get('/config/')
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER))
    expect(answer.headers['content-type']).toBe(JSON_TYPE)
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(errorOf(answer)).toEqual({
      error: {
        code: 'ERR_CONFIG_NOT_READY',
        message: 'no config yet: the first refresh has not succeeded',
      },
    })
    expect(running.requests).toEqual([['config', 503]])
  })

  it('answers 503 ERR_CONFIG_TOO_STALE, marked stale, past CONFIG_MAX_STALENESS', async () => {
    const running = await startRoute({ maxStalenessMs: 60_000 })
    running.store.accept(servedConfig({ a: 1 }, 'v1'))
    running.tick(60_001)
    const answer = await running.get('/config/')
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER))
    expect(answer.headers['x-config-stale']).toBe('true')
    expect(errorOf(answer)).toEqual({
      error: {
        code: 'ERR_CONFIG_TOO_STALE',
        message: 'the config is older than CONFIG_MAX_STALENESS',
      },
    })
    expect(running.requests).toEqual([['config', 503]])
  })

  it('answers 400 ERR_BAD_REQUEST with a message that says what is wrong', async () => {
    const running = await startRoute()
    const state = servedConfig({ app: { name: 'demo' } }, 'v1')
    running.store.accept(state)
    const cases: [string, Record<string, string>, string][] = [
      ['/config/%E0%A4%A', {}, 'the path is not valid percent-encoding'],
      ['/config/?format=xml', {}, 'format must be one of json, flat, properties, env, yaml'],
      [
        '/config/app?format=env',
        {},
        'format=env applies to the whole config: ask /config/?format=env',
      ],
      [
        '/config/?format=yaml',
        { accept: 'text/event-stream' },
        'event streams carry JSON: use format= with a GET or a long poll',
      ],
      [
        '/config/?wait=soon',
        { 'if-none-match': state.full.etag },
        'wait must be a number of seconds from 0 to 60',
      ],
    ]
    for (const [path, headers, message] of cases) {
      const answer = await running.get(path, headers)
      expect(answer.status, path).toBe(400)
      expect(errorOf(answer), path).toEqual({ error: { code: 'ERR_BAD_REQUEST', message } })
    }
    expect(running.requests).toEqual(cases.map(() => ['config', 400]))
  })

  it('answers 404 naming the path as asked, with the version and the stale flag', async () => {
    const running = await startRoute()
    running.store.accept(servedConfig({ a: 1 }, 'v-404'))
    const missing = await running.get('/config/a%2Fb/c%20d?redact')
    expect(missing.status).toBe(404)
    expect(missing.headers['x-config-version']).toBe('v-404')
    expect(missing.headers['x-config-stale']).toBe('false')
    expect(errorOf(missing)).toEqual({
      error: { code: 'ERR_CONFIG_PATH_NOT_FOUND', message: 'no value at /config/a%2Fb/c%20d' },
    })
    running.store.fail(new SidecarError('ERR_SOURCE_NOT_FOUND', 'gone'))
    expect((await running.get('/config/nope')).headers['x-config-stale']).toBe('true')
    expect(running.requests).toEqual([
      ['config', 404],
      ['config', 404],
    ])
  })

  it('answers 502 when a format cannot hold the config, with the version and the stale flag', async () => {
    const running = await startRoute()
    running.store.accept(servedConfig({ a: { b: 'one' }, a_b: 'two' }, 'v-502'))
    const refused = await running.get('/config/?format=env')
    expect(refused.status).toBe(502)
    expect(refused.headers['x-config-version']).toBe('v-502')
    expect(refused.headers['x-config-stale']).toBe('false')
    expect(errorOf(refused)).toEqual({
      error: { code: 'ERR_DOCUMENT_INVALID', message: 'the keys a.b and a_b are both A_B in .env' },
    })
    running.store.fail(new SidecarError('ERR_SOURCE_NOT_FOUND', 'gone'))
    expect((await running.get('/config/?format=env')).headers['x-config-stale']).toBe('true')
    expect(running.requests).toEqual([
      ['config', 502],
      ['config', 502],
    ])
  })
})

describe('?wait=', () => {
  it('takes whole and decimal seconds only', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v1')
    running.store.accept(state)
    const ifNoneMatch = { 'if-none-match': state.full.etag }
    for (const wait of ['-1', '1e1', '0x1', '1.', '.5', '2 ']) {
      const answer = await running.get(`/config/?wait=${encodeURIComponent(wait)}`, ifNoneMatch)
      expect(answer.status, wait).toBe(400)
    }
    const decimal = await running.get('/config/?wait=0.25', ifNoneMatch)
    expect(decimal.status).toBe(304)
    expect(decimal.headers.etag).toBe(state.full.etag)
  })

  it('answers wait=0 at once, without counting a long poll', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v1')
    running.store.accept(state)
    const answer = await running.get('/config/?wait=0', { 'if-none-match': state.full.etag })
    expect(answer.status).toBe(304)
    expect(running.waiting).toEqual([])
  })
})

describe('long polls', () => {
  it('waits through changes elsewhere and answers 200 when its own view changes', async () => {
    const running = await startRoute()
    const first = servedConfig({ a: { x: 1 }, b: 1 }, 'v1')
    running.store.accept(first)
    const etag = first.at(['a'], false)!.etag
    const poll = running.get('/config/a?wait=30', { 'if-none-match': etag })
    await waitFor(() => (running.route.counts().longPolls === 1 ? true : undefined))
    expect(running.waiting.at(-1)).toEqual([0, 1])

    // `b` changed, `a` did not: the poll keeps waiting (listeners hear a change synchronously).
    running.store.accept(servedConfig({ a: { x: 1 }, b: 2 }, 'v2'))
    expect(running.route.counts().longPolls).toBe(1)

    running.store.accept(servedConfig({ a: { x: 2 }, b: 2 }, 'v3'))
    const answer = await poll
    expect(answer.status).toBe(200)
    expect(answer.body).toBe('{"x":2}')
    expect(answer.headers['x-config-version']).toBe('v3')
    expect(answer.headers.etag).not.toBe(etag)
    expect(running.route.counts().longPolls).toBe(0)
    expect(running.waiting.at(-1)).toEqual([0, 0])
    expect(running.requests).toEqual([['config', 200]])
  })

  it('answers 404 when the path it waits on goes away', async () => {
    const running = await startRoute()
    const first = servedConfig({ a: { b: 1 } }, 'v1')
    running.store.accept(first)
    const poll = running.get('/config/a/b?wait=30', {
      'if-none-match': first.at(['a', 'b'], false)!.etag,
    })
    await waitFor(() => (running.route.counts().longPolls === 1 ? true : undefined))
    running.store.accept(servedConfig({ c: 1 }, 'v2'))
    const answer = await poll
    expect(answer.status).toBe(404)
    expect(answer.headers['x-config-version']).toBe('v2')
    expect(errorOf(answer)).toEqual({
      error: { code: 'ERR_CONFIG_PATH_NOT_FOUND', message: 'no value at /config/a/b' },
    })
  })

  it('answers 502 when its format can no longer hold the config', async () => {
    const running = await startRoute()
    const first = servedConfig({ a: { b: 'one' } }, 'v1')
    running.store.accept(first)
    const etag = (first.format('env', false) as { etag: string }).etag
    const poll = running.get('/config/?format=env&wait=30', { 'if-none-match': etag })
    await waitFor(() => (running.route.counts().longPolls === 1 ? true : undefined))
    running.store.accept(servedConfig({ a: { b: 'one' }, a_b: 'two' }, 'v2'))
    const answer = await poll
    expect(answer.status).toBe(502)
    expect(answer.headers['x-config-version']).toBe('v2')
    expect(errorOf(answer)).toEqual({
      error: { code: 'ERR_DOCUMENT_INVALID', message: 'the keys a.b and a_b are both A_B in .env' },
    })
  })

  it('answers 304 at the timeout keeping the connection, and 304 with Connection: close at shutdown', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v1')
    running.store.accept(state)
    const headers = { 'if-none-match': state.full.etag, connection: 'keep-alive' }

    const timedOut = await running.get('/config/?wait=0.2', headers)
    expect(timedOut.status).toBe(304)
    expect(timedOut.headers.etag).toBe(state.full.etag)
    expect(timedOut.headers.connection).toBe('keep-alive')

    const poll = running.get('/config/?wait=30', headers)
    await waitFor(() => (running.route.counts().longPolls === 1 ? true : undefined))
    running.route.closeAll()
    const shutdown = await poll
    expect(shutdown.status).toBe(304)
    expect(shutdown.headers.etag).toBe(state.full.etag)
    expect(shutdown.headers.connection).toBe('close')
    expect(running.requests).toEqual([
      ['config', 304],
      ['config', 304],
    ])
  })

  it('stops counting a long poll whose client went away', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v1')
    running.store.accept(state)
    const { req, answer } = openRequest(`${running.url}/config/?wait=30`, {
      'if-none-match': state.full.etag,
    })
    answer.catch(() => undefined)
    await waitFor(() => (running.route.counts().longPolls === 1 ? true : undefined))
    req.destroy()
    await waitFor(() => (running.route.counts().longPolls === 0 ? true : undefined))
    expect(running.waiting).toEqual([
      [0, 1],
      [0, 0],
    ])
    expect(running.requests).toEqual([])
  })
})

describe('GET /changes?since= and the views the route served', () => {
  it('knows the ETags of the ?redact and ?format= views, not those of a path', async () => {
    const running = await startRoute()
    running.store.accept(
      createServedConfig({
        document: { db: { user: 'orders', password: 'pw-value' } },
        secretPaths: [['db', 'password']],
        version: 'v1',
      }),
    )
    const etagOf = async (path: string): Promise<string> => {
      const answer = await running.get(path)
      expect(answer.status, path).toBe(200)
      return answer.headers.etag!
    }
    const full = await etagOf('/config/')
    for (const path of ['/config/?redact', '/config/?format=env', '/config/?format=flat&redact']) {
      const etag = await etagOf(path)
      expect(etag).not.toBe(full)
      const changes = await running.get(`/changes?since=${encodeURIComponent(etag)}`)
      expect(changes.status, path).toBe(200)
      expect(JSON.parse(changes.body)).toEqual({ from: etag, to: etag, keys: [] })
    }
    for (const path of ['/config/db', '/config/db?redact']) {
      const etag = await etagOf(path)
      const changes = await running.get(`/changes?since=${encodeURIComponent(etag)}`)
      expect(changes.status, path).toBe(410)
    }
  })
})

describe('event streams', () => {
  it('opens with its headers and a retry hint, is counted while open and not after', async () => {
    const running = await startRoute()
    const state = servedConfig({ a: 1 }, 'v-sse')
    running.store.accept(state)
    const events = await openEventStream(`${running.url}/config/`)
    try {
      expect(events.status).toBe(200)
      expect(events.headers).toMatchObject({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-config-version': 'v-sse',
        'x-content-type-options': 'nosniff',
      })
      const first = await events.next()
      expect(first).toEqual({ event: 'config', id: state.full.etag, data: '{"a":1}' })
      expect(events.text().startsWith('retry: 2000\n\n')).toBe(true)
      expect(running.requests).toEqual([['config', 200]])
      expect(running.route.counts().streams).toBe(1)
      expect(running.waiting.at(-1)).toEqual([1, 0])
    } finally {
      events.close()
    }
    await waitFor(() => (running.route.counts().streams === 0 ? true : undefined))
    expect(running.waiting.at(-1)).toEqual([0, 0])
  })

  it('says `absent` once for a path with no value, then sends the config when it appears', async () => {
    const running = await startRoute()
    running.store.accept(servedConfig({ b: 1 }, 'v1'))
    const events = await openEventStream(`${running.url}/config/a`)
    try {
      expect(await events.next()).toEqual({ event: 'absent', id: undefined, data: 'null' })
      // Still absent after a change elsewhere: nothing new to say.
      running.store.accept(servedConfig({ b: 2 }, 'v2'))
      const appeared = servedConfig({ a: { x: 1 }, b: 2 }, 'v3')
      running.store.accept(appeared)
      expect(await events.next()).toEqual({
        event: 'config',
        id: appeared.at(['a'], false)!.etag,
        data: '{"x":1}',
      })
      running.store.accept(servedConfig({ b: 3 }, 'v4'))
      expect(await events.next()).toEqual({ event: 'absent', id: undefined, data: 'null' })
    } finally {
      events.close()
    }
  })

  it('sends a keepalive comment every 25 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const running = await startRoute()
    running.store.accept(servedConfig({ a: 1 }, 'v1'))
    const events = await openEventStream(`${running.url}/config/`)
    try {
      await events.next()
      vi.advanceTimersByTime(24_000)
      expect(events.text()).not.toContain(': keepalive')
      vi.advanceTimersByTime(1_000)
      await waitFor(() => (events.text().endsWith('\n\n: keepalive\n\n') ? true : undefined))
    } finally {
      events.close()
    }
  })

  it('keeps a slow reader with a backlog, and drops it once the backlog passes 4 MiB', async () => {
    const running = await startRoute()
    const blob = 'x'.repeat(256 * 1024)
    running.store.accept(servedConfig({ blob, n: 0 }, 'v0'))
    // A client that asks for the stream and then reads nothing.
    const socket = connect(running.port, '127.0.0.1')
    onCleanup(() => void socket.destroy())
    socket.write('GET /config/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
    socket.pause()
    await waitFor(() => (running.route.counts().streams === 1 ? true : undefined))
    const res = running.responses[0]!

    // Changes until the socket's buffers are full and a backlog builds up in the process.
    let n = 1
    for (; n < 400 && !res.destroyed && res.writableLength <= 64 * 1024; n += 1)
      running.store.accept(servedConfig({ blob, n }, `v${n}`))
    expect(res.destroyed).toBe(false)
    expect(res.writableLength).toBeGreaterThan(64 * 1024)
    expect(running.route.counts().streams).toBe(1)

    // Past 4 MiB (and long before 8 MiB) the stream is ended.
    for (; n < 800 && !res.destroyed && res.writableLength <= 8 * 1024 * 1024; n += 1)
      running.store.accept(servedConfig({ blob, n }, `v${n}`))
    expect(res.destroyed).toBe(true)
    await waitFor(() => (running.route.counts().streams === 0 ? true : undefined))
  })
})
