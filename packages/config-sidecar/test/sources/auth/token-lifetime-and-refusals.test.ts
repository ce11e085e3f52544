// The upstream's bearer token: how long a client-credentials token is kept (expires_in, the default
// when there is none, refreshed a fifth of its lifetime early and at most 30 s early), what a token
// endpoint's answers turn into (403, a redirect, a body that is not JSON, an empty token, a hang),
// that a failed request is not cached, that the messages name the endpoint without credentials or
// query, and that both providers read a file-backed secret again at each request. Real HTTP on
// port 0; a clock the test sets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClientCredentialsProvider } from '../../../src/sources/auth/client-credentials.js'
import { createStaticTokenProvider } from '../../../src/sources/auth/static-token.js'
import { SidecarError } from '../../../src/support/errors.js'
import { startUpstream } from '../../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../../test-support/upstream.js'

let server: FakeUpstream
beforeEach(async () => {
  server = await startUpstream()
})
afterEach(() => server.close())

const issuing = (fields: Record<string, unknown>) => {
  let issued = 0
  server.handle((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: `t${++issued}`, ...fields })),
  )
}

const provider = (
  now: () => number = Date.now,
  extra: { tokenUrl?: URL; timeoutMs?: number; secretFile?: string } = {},
) =>
  createClientCredentialsProvider({
    clientId: 'app',
    clientSecret:
      extra.secretFile === undefined
        ? { kind: 'inline', value: 'secret-1' }
        : { kind: 'file', path: extra.secretFile },
    tokenUrl: extra.tokenUrl ?? new URL(`${server.url}/oauth/token`),
    now,
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
  })

const failure = async (promise: Promise<unknown>): Promise<SidecarError> => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(SidecarError)
  return error as SidecarError
}

describe('how long a token is kept', () => {
  it('keeps a token without expires_in for the default 5 minutes, less 30 s', async () => {
    issuing({})
    let now = 1_000
    const tokens = provider(() => now)
    expect(await tokens.token()).toBe('t1')
    now = 1_000 + 270_000 - 1
    expect(await tokens.token()).toBe('t1')
    now = 1_000 + 270_000
    expect(await tokens.token()).toBe('t2')
  })

  it.each([0, -60, '60', null])(
    'takes expires_in %j as no lifetime given (the default)',
    async (expiresIn) => {
      issuing({ expires_in: expiresIn })
      let now = 0
      const tokens = provider(() => now)
      expect(await tokens.token()).toBe('t1')
      now = 269_999
      expect(await tokens.token()).toBe('t1')
      now = 270_000
      expect(await tokens.token()).toBe('t2')
    },
  )

  it('refreshes a long-lived token 30 s before it expires, not a fifth of its lifetime', async () => {
    issuing({ expires_in: 3600 })
    let now = 0
    const tokens = provider(() => now)
    expect(await tokens.token()).toBe('t1')
    now = 3_570_000 - 1
    expect(await tokens.token()).toBe('t1')
    now = 3_570_000
    expect(await tokens.token()).toBe('t2')
    expect(server.requests).toHaveLength(2)
  })

  it('counts the lifetime from when the request started', async () => {
    issuing({ expires_in: 10 })
    let now = 500
    const tokens = provider(() => now)
    expect(await tokens.token()).toBe('t1')
    // 10 s less a fifth (2 s), from 500 ms.
    now = 8_499
    expect(await tokens.token()).toBe('t1')
    now = 8_500
    expect(await tokens.token()).toBe('t2')
  })
})

describe('what the token endpoint answers', () => {
  it('asks for JSON', async () => {
    issuing({ expires_in: 60 })
    await provider().token()
    expect(server.requests[0]!.headers.accept).toBe('application/json')
    expect(server.requests[0]!.method).toBe('POST')
  })

  it('turns 403 into ERR_UPSTREAM_AUTH_FAILED, naming the status', async () => {
    server.handle((_req, res) => res.writeHead(403).end())
    const error = await failure(provider().token())
    expect(error.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
    expect(error.message).toBe(
      `token endpoint ${server.url}/oauth/token refused the client credentials (HTTP 403)`,
    )
  })

  it('does not follow a redirect, and answers its status', async () => {
    server.handle((req, res) => {
      if (req.url === '/elsewhere') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"moved"}')
        return
      }
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    const error = await failure(provider().token())
    expect(error.code).toBe('ERR_UPSTREAM_HTTP_STATUS')
    expect(error.message).toBe(`token endpoint ${server.url}/oauth/token answered HTTP 302`)
    expect(server.requests.map((request) => request.url)).toEqual(['/oauth/token'])
  })

  it('does not retry a failed request by itself', async () => {
    server.handle((_req, res) => res.writeHead(503).end())
    await failure(provider().token())
    expect(server.requests).toHaveLength(1)
  })

  it('refuses a body that is not JSON, and an empty access_token', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'))
    const notJson = await failure(provider().token())
    expect(notJson.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
    expect(notJson.message).toBe(
      `token endpoint ${server.url}/oauth/token answered something that is not JSON`,
    )
    // JSON that is no object at all has no access_token either (not a TypeError).
    for (const body of ['{"access_token":""}', '{"access_token":42}', '{}', 'null', '"t"', '[]']) {
      server.handle((_req, res) => res.writeHead(200).end(body))
      const error = await failure(provider().token())
      expect(error.code, body).toBe('ERR_UPSTREAM_AUTH_FAILED')
      expect(error.message).toBe(
        `token endpoint ${server.url}/oauth/token answered without an access_token`,
      )
    }
  })

  it('gives up after timeoutMs on an endpoint that does not answer', async () => {
    server.handle(() => undefined)
    const started = Date.now()
    const error = await failure(provider(Date.now, { timeoutMs: 300 }).token())
    expect(error.code).toBe('ERR_UPSTREAM_TIMEOUT')
    expect(error.message).toMatch(
      new RegExp(`^token endpoint ${server.url}/oauth/token did not answer in time`),
    )
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('names the endpoint it cannot reach', async () => {
    await server.down()
    const error = await failure(provider().token())
    expect(error.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
    expect(error.message).toBe(
      `token endpoint ${server.url}/oauth/token cannot be reached (ECONNREFUSED)`,
    )
  })

  it('takes a refused token that is no longer held (or never was) in its stride', async () => {
    issuing({ expires_in: 600 })
    const tokens = provider()
    tokens.invalidate('never-issued')
    expect(await tokens.token()).toBe('t1')
    tokens.invalidate('t1')
    tokens.invalidate('t1')
    expect(await tokens.token()).toBe('t2')
  })

  it('stops when the caller aborts', async () => {
    server.handle(() => undefined)
    const controller = new AbortController()
    const pending = provider().token(controller.signal)
    setTimeout(() => controller.abort(), 50)
    const error = await failure(pending)
    expect(error.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
    expect(error.message).toContain('cancelled')
  })

  it('names the endpoint without its credentials or query', async () => {
    server.handle((_req, res) => res.writeHead(500).end())
    const url = new URL(`${server.url}/oauth/token?client_secret=query-secret`)
    url.username = 'user'
    url.password = 'url-password'
    const error = await failure(provider(Date.now, { tokenUrl: url }).token())
    expect(error.message).toBe(`token endpoint ${server.url}/oauth/token answered HTTP 500`)
  })

  it('asks again after a failure (a failed request is not kept for later callers)', async () => {
    server.handle((_req, res) => res.writeHead(503).end())
    const tokens = provider()
    await failure(tokens.token())
    issuing({ expires_in: 60 })
    expect(await tokens.token()).toBe('t1')
    expect(server.requests).toHaveLength(2)
  })
})

describe('a secret in a file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'token-secret-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('is read again at each client-credentials request (a rotated secret needs no restart)', async () => {
    const file = join(dir, 'secret')
    await writeFile(file, 'first-secret\n')
    issuing({ expires_in: 600 })
    const tokens = provider(Date.now, { secretFile: file })
    await tokens.token()
    await writeFile(file, 'second-secret\n')
    tokens.invalidate('t1')
    await tokens.token()
    const secrets = server.requests.map((request) =>
      Buffer.from(
        String(request.headers.authorization).slice('Basic '.length),
        'base64',
      ).toString(),
    )
    expect(secrets).toEqual(['app:first-secret', 'app:second-secret'])
    await rm(file)
    tokens.invalidate('t2')
    await expect(tokens.token()).rejects.toMatchObject({
      code: 'ERR_SOURCE_UNREADABLE',
      message: `CONFIG_CLIENT_SECRET names ${file}, which cannot be read (ENOENT)`,
    })
  })

  it('is read again at each use of a static bearer token, which is never forgotten', async () => {
    const file = join(dir, 'token')
    await writeFile(file, 'token-one\n')
    const tokens = createStaticTokenProvider({ kind: 'file', path: file })
    expect(await tokens.token()).toBe('token-one')
    tokens.invalidate('token-one')
    await writeFile(file, 'token-two\n')
    expect(await tokens.token()).toBe('token-two')
    await rm(file)
    await expect(tokens.token()).rejects.toMatchObject({
      code: 'ERR_SOURCE_UNREADABLE',
      message: expect.stringContaining('CONFIG_BEARER_TOKEN') as unknown,
    })
  })
})
