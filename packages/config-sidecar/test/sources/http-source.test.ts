// The HTTP upstream as the sidecar sees it, against a real server on port 0: conditional polling,
// Spring environments, OAuth2, and every fault the issue lists, each with its outcome asserted.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { jsonWithEtag, startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { waitFor } from '../../../../test-support/wait.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'spring')
const FAST = { connectMs: 500, responseMs: 400, totalMs: 800 }

let upstream: FakeUpstream
let sidecars: InProcessSidecar[] = []
let cache: { path: string; remove: () => Promise<void> }

beforeEach(async () => {
  upstream = await startUpstream()
  cache = await tempDir()
})
afterEach(async () => {
  for (const sidecar of sidecars) await sidecar.stop()
  sidecars = []
  await upstream.close()
  await cache.remove()
})

async function start(env: Record<string, string> = {}): Promise<InProcessSidecar> {
  const sidecar = await startInProcessSidecar(
    {
      CONFIG_SOURCE: `${upstream.url}/orders/cloud`,
      CONFIG_POLL_INTERVAL: '200ms',
      CONFIG_CACHE_DIR: cache.path,
      ...env,
    },
    { httpTimeouts: FAST },
  )
  sidecars.push(sidecar)
  return sidecar
}

const lastErrorCode = async (sidecar: InProcessSidecar): Promise<string | undefined> =>
  ((await (await sidecar.get('/status')).json()) as { lastError: { code: string } | null })
    .lastError?.code

describe('polling', () => {
  it('sends If-None-Match and takes a 304 as unchanged, with no parsing', async () => {
    upstream.handle(jsonWithEtag({ a: 1 }, '"v1"'))
    const sidecar = await start()
    expect((await sidecar.firstRefresh).outcome).toBe('changed')
    const outcome = await sidecar.sidecar.refresher.refresh('manual')
    expect(outcome).toMatchObject({ outcome: 'unchanged', decrypted: 0 })
    expect(upstream.requests.at(-1)!.headers['if-none-match']).toBe('"v1"')
    expect(await (await sidecar.get('/config/')).json()).toEqual({ a: 1 })
  })

  it('sends If-Modified-Since when the upstream gave Last-Modified', async () => {
    const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT'
    upstream.handle((req, res) => {
      if (req.headers['if-modified-since'] === lastModified) res.writeHead(304).end()
      else
        res
          .writeHead(200, { 'content-type': 'application/json', 'last-modified': lastModified })
          .end('{"b":2}')
    })
    const sidecar = await start()
    await sidecar.firstRefresh
    expect((await sidecar.sidecar.refresher.refresh('manual')).outcome).toBe('unchanged')
    expect(upstream.requests.at(-1)!.headers['if-modified-since']).toBe(lastModified)
  })

  it('takes an identical body without validators as unchanged (a Spring server sends no ETag)', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"same":true}'),
    )
    const sidecar = await start()
    await sidecar.firstRefresh
    expect((await sidecar.sidecar.refresher.refresh('manual')).outcome).toBe('unchanged')
  })

  it('follows upstream changes within one poll interval', async () => {
    let value = 1
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value })),
    )
    const sidecar = await start()
    await sidecar.firstRefresh
    value = 2
    const changed = Date.now()
    await waitFor(
      async () =>
        ((await (await sidecar.get('/config/')).json()) as { value: number }).value === 2
          ? true
          : undefined,
      {
        timeoutMs: 1000,
      },
    )
    expect(Date.now() - changed).toBeLessThan(400)
  })

  it('makes one fetch at a time: concurrent refreshes share it', async () => {
    upstream.handle((_req, res) =>
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 100),
    )
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    const before = upstream.requests.length
    await Promise.all([1, 2, 3, 4, 5].map(() => sidecar.sidecar.refresher.refresh('manual')))
    expect(upstream.requests.length - before).toBe(1)
  })
})

describe('Spring Cloud Config environments', () => {
  it('merges a real-shaped environment: earlier sources win, dotted and indexed keys nest', async () => {
    const body = await readFile(join(fixtures, 'orders-cloud.json'), 'utf8')
    const expected: unknown = JSON.parse(
      await readFile(join(fixtures, 'orders-cloud.expected.json'), 'utf8'),
    )
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(body),
    )
    const sidecar = await start()
    await sidecar.firstRefresh
    const response = await sidecar.get('/config/')
    expect(await response.json()).toEqual(expected)
    expect(response.headers.get('x-config-version')).toBe(
      '8f14e45fceea167a5a36dedd4bea2543a1b2c3d4',
    )
    expect(await (await sidecar.get('/config/orders/regions/1')).json()).toBe('us-east')
  })

  it('fetches {uri}/{app}/{profile}/{label} for a bound config server, with OAuth2 client credentials', async () => {
    const body = await readFile(join(fixtures, 'orders-cloud.json'), 'utf8')
    upstream.handle((req, res) => {
      if (req.url === '/oauth/token') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: 'tok-1', token_type: 'bearer', expires_in: 300 }))
      } else if (req.headers.authorization === 'Bearer tok-1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(body)
      } else {
        res.writeHead(401).end()
      }
    })
    const sidecar = await startInProcessSidecar(
      {
        VCAP_APPLICATION: JSON.stringify({ application_name: 'orders' }),
        VCAP_SERVICES: JSON.stringify({
          'p.config-server': [
            {
              name: 'config-server',
              label: 'p.config-server',
              credentials: {
                uri: upstream.url,
                client_id: 'orders-client',
                client_secret: 'orders-secret',
                access_token_uri: `${upstream.url}/oauth/token`,
              },
            },
          ],
        }),
        CONFIG_PROFILE: 'cloud',
        CONFIG_LABEL: 'main',
        CONFIG_CACHE_DIR: cache.path,
      },
      { httpTimeouts: FAST },
    )
    sidecars.push(sidecar)
    expect((await sidecar.firstRefresh).outcome).toBe('changed')
    const token = upstream.requests.find((request) => request.url === '/oauth/token')!
    expect(token.method).toBe('POST')
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from('orders-client:orders-secret').toString('base64')}`,
    )
    expect(token.body).toBe('grant_type=client_credentials')
    expect(upstream.requests.some((request) => request.url === '/orders/cloud/main')).toBe(true)
    expect(
      ((await (await sidecar.get('/config/')).json()) as { server: { port: number } }).server.port,
    ).toBe(8080)
  })
})

describe('OAuth2 tokens', () => {
  function tokenServer(options: { expiresIn: number }) {
    let issued = 0
    let accepted = new Set<string>()
    upstream.handle((req, res) => {
      if (req.url === '/oauth/token') {
        issued += 1
        const token = `tok-${issued}`
        accepted.add(token)
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: token,
            token_type: 'bearer',
            expires_in: options.expiresIn,
          }),
        )
      } else if (accepted.has((req.headers.authorization ?? '').replace('Bearer ', ''))) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      } else {
        res.writeHead(401).end()
      }
    })
    return {
      issued: () => issued,
      revokeAll: () => {
        accepted = new Set()
      },
    }
  }
  const oauthEnv = (): Record<string, string> => ({
    CONFIG_CLIENT_ID: 'id',
    CONFIG_CLIENT_SECRET: 'secret',
    CONFIG_TOKEN_URL: `${upstream.url}/oauth/token`,
  })

  it('caches the token between polls', async () => {
    const server = tokenServer({ expiresIn: 300 })
    const sidecar = await start({ ...oauthEnv(), CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    for (let i = 0; i < 3; i += 1) await sidecar.sidecar.refresher.refresh('manual')
    expect(server.issued()).toBe(1)
  })

  it('refreshes a token the upstream refused (401) once and retries', async () => {
    const server = tokenServer({ expiresIn: 300 })
    const sidecar = await start({ ...oauthEnv(), CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    server.revokeAll()
    expect((await sidecar.sidecar.refresher.refresh('manual')).outcome).toBe('unchanged')
    expect(server.issued()).toBe(2)
  })

  it('fetches a new token when the cached one expires mid-run', async () => {
    const server = tokenServer({ expiresIn: 1 })
    const sidecar = await start({ ...oauthEnv(), CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await sidecar.sidecar.refresher.refresh('manual')).error).toBeUndefined()
    expect(server.issued()).toBe(2)
  })

  it('reports refused client credentials as ERR_UPSTREAM_AUTH_FAILED without the secret', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}'),
    )
    const sidecar = await start({ ...oauthEnv(), CONFIG_CLIENT_SECRET: 'wrong-secret-value' })
    const outcome = await sidecar.firstRefresh
    expect(outcome.error?.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
    expect(JSON.stringify(await (await sidecar.get('/status')).json())).not.toContain(
      'wrong-secret-value',
    )
    expect(sidecar.logs.join('\n')).not.toContain('wrong-secret-value')
  })

  it('does not loop on a 401 that a fresh token does not cure', async () => {
    let tokenRequests = 0
    upstream.handle((req, res) => {
      if (req.url === '/oauth/token') {
        tokenRequests += 1
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: `t${tokenRequests}`, expires_in: 300 }))
      } else res.writeHead(401).end()
    })
    const sidecar = await start({ ...oauthEnv(), CONFIG_POLL_INTERVAL: '1h' })
    expect((await sidecar.firstRefresh).error?.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
    expect(tokenRequests).toBe(2)
  })

  it('sends a static bearer token, read from a file at each use', async () => {
    const { writeFile } = await import('node:fs/promises')
    const file = join(cache.path, 'bearer')
    await writeFile(file, 'static-1\n')
    upstream.handle((req, res) => {
      if (req.headers.authorization === 'Bearer static-2')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"v":2}')
      else if (req.headers.authorization === 'Bearer static-1')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"v":1}')
      else res.writeHead(401).end()
    })
    const sidecar = await start({ CONFIG_BEARER_TOKEN: `file:${file}`, CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    await writeFile(file, 'static-2\n')
    await sidecar.sidecar.refresher.refresh('manual')
    expect(await (await sidecar.get('/config/')).json()).toEqual({ v: 2 })
  })
})

describe('faults', () => {
  it('upstream down at start: stays up, /livez 200, /readyz and config 503, then recovers', async () => {
    await upstream.down()
    const sidecar = await start()
    expect((await sidecar.firstRefresh).error?.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
    expect((await sidecar.get('/livez')).status).toBe(200)
    expect((await sidecar.get('/readyz')).status).toBe(503)
    expect((await sidecar.get('/config/')).status).toBe(503)
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"back":true}'),
    )
    await upstream.up()
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined), {
      timeoutMs: 3000,
    })
    expect((await sidecar.get('/readyz')).status).toBe(200)
  })

  it('upstream down later: the last good config is served, marked stale, until it is back', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"good":1}'),
    )
    const sidecar = await start()
    await sidecar.firstRefresh
    await upstream.down()
    await waitFor(
      async () =>
        (await sidecar.get('/config/')).headers.get('x-config-stale') === 'true' ? true : undefined,
      { timeoutMs: 2000 },
    )
    const stale = await sidecar.get('/config/')
    expect(stale.status).toBe(200)
    expect(await stale.json()).toEqual({ good: 1 })
    expect((await sidecar.get('/readyz')).status).toBe(200)
    expect(await lastErrorCode(sidecar)).toBe('ERR_UPSTREAM_UNAVAILABLE')
    await upstream.up()
    await waitFor(
      async () =>
        (await sidecar.get('/config/')).headers.get('x-config-stale') === 'false'
          ? true
          : undefined,
      { timeoutMs: 3000 },
    )
  })

  it('500s: stale, ERR_UPSTREAM_HTTP_STATUS, and the failures back off', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"good":1}'),
    )
    const sidecar = await start()
    await sidecar.firstRefresh
    upstream.handle((_req, res) => res.writeHead(500).end('boom'))
    const from = upstream.requests.length
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(await lastErrorCode(sidecar)).toBe('ERR_UPSTREAM_HTTP_STATUS')
    expect(await (await sidecar.get('/config/')).json()).toEqual({ good: 1 })
    // 200 ms polls would make ~10 requests in 2 s; backing off from 200 ms doubles each time.
    expect(upstream.requests.length - from).toBeLessThanOrEqual(6)
  })

  it('slow headers: ERR_UPSTREAM_TIMEOUT, last good config kept', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"good":1}'),
    )
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    await sidecar.firstRefresh
    upstream.handle(() => undefined)
    const started = Date.now()
    expect((await sidecar.sidecar.refresher.refresh('manual')).error?.code).toBe(
      'ERR_UPSTREAM_TIMEOUT',
    )
    expect(Date.now() - started).toBeLessThan(1500)
    expect(await (await sidecar.get('/config/')).json()).toEqual({ good: 1 })
  })

  it('slow body: the whole-answer limit applies', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"a":')
      const timer = setInterval(() => res.write(' '), 100)
      res.once('close', () => clearInterval(timer))
    })
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    expect((await sidecar.firstRefresh).error?.code).toBe('ERR_UPSTREAM_TIMEOUT')
  })

  it('garbage: ERR_DOCUMENT_INVALID', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>'),
    )
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    expect((await sidecar.firstRefresh).error?.code).toBe('ERR_DOCUMENT_INVALID')
  })

  it('truncated body: refused, never served', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"a": 1, "b": ')
      setTimeout(() => res.destroy(), 20)
    })
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    const outcome = await sidecar.firstRefresh
    expect(outcome.outcome).toBe('failed')
    expect(['ERR_UPSTREAM_UNAVAILABLE', 'ERR_DOCUMENT_INVALID']).toContain(outcome.error?.code)
    expect((await sidecar.get('/config/')).status).toBe(503)
  })

  it('a body over the limit is cut off: ERR_DOCUMENT_TOO_LARGE', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) })
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(big),
    )
    const sidecar = await start({ CONFIG_POLL_INTERVAL: '1h' })
    expect((await sidecar.firstRefresh).error?.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = 'x'.repeat(64 * 1024)
      let sent = 0
      const timer = setInterval(() => {
        res.write(chunk)
        sent += chunk.length
        if (sent > 8 * 1024 * 1024) {
          clearInterval(timer)
          res.end()
        }
      }, 1)
      res.once('close', () => clearInterval(timer))
    })
    expect((await sidecar.sidecar.refresher.refresh('manual')).error?.code).toBe(
      'ERR_DOCUMENT_TOO_LARGE',
    )
  })

  it('a sidecar restarted while the upstream is down serves the snapshot at once, marked stale', async () => {
    upstream.handle(jsonWithEtag({ remembered: true }, '"v9"'))
    const first = await start()
    await first.firstRefresh
    await first.stop()
    sidecars = sidecars.filter((sidecar) => sidecar !== first)
    await upstream.down()

    const second = await start()
    const response = await second.get('/config/')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-config-stale')).toBe('true')
    expect(await response.json()).toEqual({ remembered: true })
    expect((await second.get('/readyz')).status).toBe(200)
    expect(
      ((await (await second.get('/status')).json()) as { fromSnapshot: boolean }).fromSnapshot,
    ).toBe(true)

    await upstream.up()
    await waitFor(
      async () =>
        (await second.get('/config/')).headers.get('x-config-stale') === 'false' ? true : undefined,
      { timeoutMs: 3000 },
    )
    expect(upstream.requests.at(-1)!.headers['if-none-match']).toBe('"v9"')
  })

  it('past CONFIG_MAX_STALENESS without a good refresh, config and /readyz answer 503', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"good":1}'),
    )
    const sidecar = await start({ CONFIG_MAX_STALENESS: '1s' })
    await sidecar.firstRefresh
    await upstream.down()
    await waitFor(async () => ((await sidecar.get('/config/')).status === 503 ? true : undefined), {
      timeoutMs: 4000,
    })
    const response = await sidecar.get('/config/')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_CONFIG_TOO_STALE' } })
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await sidecar.get('/readyz')).status).toBe(503)
  })
})
