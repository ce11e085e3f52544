import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClientCredentialsProvider } from '../../../src/sources/auth/client-credentials.js'
import { SidecarError } from '../../../src/support/errors.js'
import { startUpstream } from '../../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../../test-support/upstream.js'

let server: FakeUpstream
beforeEach(async () => {
  server = await startUpstream()
})
afterEach(() => server.close())

const provider = (now: () => number = Date.now) =>
  createClientCredentialsProvider({
    clientId: 'app id',
    clientSecret: { kind: 'inline', value: 's3cr3t:&' },
    tokenUrl: new URL(`${server.url}/oauth/token`),
    now,
  })

describe('createClientCredentialsProvider', () => {
  it('sends client_secret_basic with form-encoded id and secret', async () => {
    server.handle((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"access_token":"t1","expires_in":60}'),
    )
    expect(await provider().token()).toBe('t1')
    const [request] = server.requests
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from('app+id:s3cr3t%3A%26').toString('base64')}`,
    )
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request!.body).toBe('grant_type=client_credentials')
  })

  it('shares one request among concurrent callers', async () => {
    server.handle((_req, res) =>
      setTimeout(
        () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"access_token":"t1","expires_in":60}'),
        50,
      ),
    )
    const tokens = provider()
    expect(await Promise.all([tokens.token(), tokens.token(), tokens.token()])).toEqual([
      't1',
      't1',
      't1',
    ])
    expect(server.requests).toHaveLength(1)
  })

  it('refreshes shortly before expiry: a fifth of the lifetime, at most 30 s early', async () => {
    let issued = 0
    server.handle((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `t${++issued}`, expires_in: 100 })),
    )
    let now = 0
    const tokens = provider(() => now)
    expect(await tokens.token()).toBe('t1')
    now = 79_000
    expect(await tokens.token()).toBe('t1')
    now = 80_000
    expect(await tokens.token()).toBe('t2')
  })

  it('forgets only the token that was refused', async () => {
    let issued = 0
    server.handle((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `t${++issued}`, expires_in: 600 })),
    )
    const tokens = provider()
    await tokens.token()
    tokens.invalidate('some-older-token')
    expect(await tokens.token()).toBe('t1')
    tokens.invalidate('t1')
    expect(await tokens.token()).toBe('t2')
  })

  it.each([
    [401, 'ERR_UPSTREAM_AUTH_FAILED'],
    [400, 'ERR_UPSTREAM_AUTH_FAILED'],
    [503, 'ERR_UPSTREAM_HTTP_STATUS'],
  ])('maps HTTP %d to %s', async (status, code) => {
    server.handle((_req, res) => res.writeHead(status).end())
    const error = await provider()
      .token()
      .catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(SidecarError)
    expect(error).toMatchObject({ code })
  })

  it('refuses an answer without an access_token', async () => {
    server.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token_type":"bearer"}'),
    )
    await expect(provider().token()).rejects.toMatchObject({ code: 'ERR_UPSTREAM_AUTH_FAILED' })
  })
})
