import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import { startInProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import { basic, tokenRequest } from '../../../test-support/oauth.js'
import { sleep } from '../../../test-support/wait.js'
import { createTokenIssuer, parseBasicAuthorization } from '../src/tokens.js'

const SECRET = 's3cr3t:with/odd+chars & more'
const OTHER_SECRET = 'second-client-secret-value'
const WRONG_SECRET = 'not-the-right-secret'

let dir: { path: string; remove: () => Promise<void> }
let server: InProcessDevConfigServer
// The servers this test started: a test that starts none (the helpers) stops none.
const running: InProcessDevConfigServer[] = []

beforeEach(async () => {
  dir = await tempDir('dev-config-server-test-')
  await writeFiles(dir.path, { 'application.yml': 'greeting: hello\n' })
})
afterEach(async () => {
  for (const started of running.splice(0)) await started.stop()
  await dir.remove()
})

/** Starts `server` on the test's directory (stopped after the test). */
const serve = async (
  options: Omit<Parameters<typeof startInProcessDevConfigServer>[0], 'dir'> = {},
): Promise<void> => {
  server = await startInProcessDevConfigServer({ dir: dir.path, ...options })
  running.push(server)
}

const start = (tokenTtlSeconds?: number): Promise<void> =>
  serve({
    clients: { 'demo-client': SECRET, other: OTHER_SECRET },
    ...(tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds }),
  })

const getToken = async (): Promise<string> => {
  const response = await tokenRequest(server.url, basic('demo-client', SECRET))
  expect(response.status).toBe(200)
  return ((await response.json()) as { access_token: string }).access_token
}

describe('POST /oauth/token', () => {
  it('issues a bearer token for good client_secret_basic credentials', async () => {
    await start()
    const response = await tokenRequest(server.url, basic('demo-client', SECRET))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'bearer',
      expires_in: 300,
    })
    const again = (await (await tokenRequest(server.url, basic('other', OTHER_SECRET))).json()) as {
      access_token: string
    }
    expect(again.access_token).not.toBe(body['access_token'])
  })

  it('answers 401 invalid_client for a wrong secret, an unknown client or no credentials', async () => {
    await start()
    const attempts = [
      basic('demo-client', WRONG_SECRET),
      basic('demo-client', OTHER_SECRET),
      basic('nobody', SECRET),
      // Not form-encoded: the secret's special characters no longer match.
      `Basic ${Buffer.from(`demo-client:${SECRET}`).toString('base64')}`,
      'Bearer something',
      undefined,
    ]
    for (const authorization of attempts) {
      const response = await tokenRequest(server.url, authorization)
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect(await response.json()).toEqual({ error: 'invalid_client' })
    }
  })

  it('answers 400 unsupported_grant_type for another grant, invalid_request for none', async () => {
    await start()
    const password = await tokenRequest(
      server.url,
      basic('demo-client', SECRET),
      'grant_type=password&username=a&password=b',
    )
    expect(password.status).toBe(400)
    expect(await password.json()).toEqual({ error: 'unsupported_grant_type' })

    const none = await tokenRequest(server.url, basic('demo-client', SECRET), 'scope=x')
    expect(none.status).toBe(400)
    expect(await none.json()).toEqual({ error: 'invalid_request' })
  })

  it('refuses every client when none is configured', async () => {
    await serve()
    const response = await tokenRequest(server.url, basic('demo-client', SECRET))
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'invalid_client' })
  })
})

describe('protected config routes', () => {
  it('are open when no client is configured', async () => {
    await serve()
    expect((await server.get('/app/default')).status).toBe(200)
  })

  it('need a valid bearer token when clients are configured', async () => {
    await start()
    const without = await server.get('/app/default')
    expect(without.status).toBe(401)
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer realm="dev-config-server"$/)
    expect(await without.json()).toMatchObject({ error: 'unauthorized' })

    for (const authorization of ['Bearer not-a-token', 'Bearer', 'Basic abc', 'bearer  x y']) {
      const bad = await server.get('/app/default', { authorization })
      expect(bad.status).toBe(401)
      expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    }

    const token = await getToken()
    const good = await server.get('/app/default', { authorization: `Bearer ${token}` })
    expect(good.status).toBe(200)
    expect(((await good.json()) as { name: string }).name).toBe('app')
    // The scheme is case-insensitive.
    expect((await server.get('/app/default', { authorization: `bearer ${token}` })).status).toBe(
      200,
    )
    // 304 also needs the token.
    const etag = good.headers.get('etag')!
    expect((await server.get('/app/default', { 'if-none-match': etag })).status).toBe(401)
    expect(
      (
        await server.get('/app/default', {
          'if-none-match': etag,
          authorization: `Bearer ${token}`,
        })
      ).status,
    ).toBe(304)
    // The health route stays open.
    expect((await server.get('/actuator/health')).status).toBe(200)
  })

  it('refuse a token once it has expired', async () => {
    await start(1)
    const response = await tokenRequest(server.url, basic('demo-client', SECRET))
    const { access_token: token, expires_in: expiresIn } = (await response.json()) as {
      access_token: string
      expires_in: number
    }
    expect(expiresIn).toBe(1)
    expect((await server.get('/app/default', { authorization: `Bearer ${token}` })).status).toBe(
      200,
    )
    await sleep(1100)
    const expired = await server.get('/app/default', { authorization: `Bearer ${token}` })
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"')
    // A new token works again.
    expect(
      (await server.get('/app/default', { authorization: `Bearer ${await getToken()}` })).status,
    ).toBe(200)
  })
})

describe('logs', () => {
  it('never hold a client secret or a token', async () => {
    await start()
    const token = await getToken()
    await server.get('/app/default', { authorization: `Bearer ${token}` })
    await server.get('/app/default', { authorization: `Bearer ${token}x` })
    await tokenRequest(server.url, basic('demo-client', WRONG_SECRET))
    await tokenRequest(server.url, basic(WRONG_SECRET, SECRET))
    await tokenRequest(server.url, basic('demo-client', SECRET), 'grant_type=password')
    const log = server.log()
    expect(log).toContain('token issued')
    expect(log).toContain('token refused')
    for (const line of log.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow()
    for (const forbidden of [
      SECRET,
      encodeURIComponent(SECRET),
      OTHER_SECRET,
      WRONG_SECRET,
      token,
    ]) {
      expect(log).not.toContain(forbidden)
    }
  })
})

describe('token helpers', () => {
  it('parse client_secret_basic with form-encoded parts', () => {
    expect(parseBasicAuthorization(basic('a b', 'x:y+z%'))).toEqual({ id: 'a b', secret: 'x:y+z%' })
    expect(parseBasicAuthorization('Basic !!!')).toBeUndefined()
    expect(
      parseBasicAuthorization(`Basic ${Buffer.from('no-colon').toString('base64')}`),
    ).toBeUndefined()
    expect(
      parseBasicAuthorization(`Basic ${Buffer.from('a:%zz').toString('base64')}`),
    ).toBeUndefined()
    expect(parseBasicAuthorization(undefined)).toBeUndefined()
  })

  it('expire tokens by the clock', () => {
    let now = 1_000_000
    const issuer = createTokenIssuer({ clients: { a: 'b' }, ttlSeconds: 60, now: () => now })
    expect(issuer.authenticate({ id: 'a', secret: 'b' })).toBe('a')
    expect(issuer.authenticate({ id: 'a', secret: 'c' })).toBeUndefined()
    const { accessToken } = issuer.issue('a')
    expect(issuer.check(`Bearer ${accessToken}`)).toBe('valid')
    now += 59_999
    expect(issuer.check(`Bearer ${accessToken}`)).toBe('valid')
    now += 1
    expect(issuer.check(`Bearer ${accessToken}`)).toBe('expired')
    expect(issuer.check(undefined)).toBe('missing')
    expect(issuer.check('Bearer nope')).toBe('invalid')
  })
})
