// What a client and an operator see of the dev config server beyond the config itself: the JSON
// bodies and headers of its refusals (405, 401, 400, 413, 404, 500), the token endpoint's caching
// headers, and the log lines (listening, token refused and why, token issued, files changed,
// request lines, a config that cannot be served, stopped), none holding a secret or a token.
// Real HTTP on port 0, the server in this process, its log captured.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import { startInProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import { basic, tokenRequest } from '../../../test-support/oauth.js'
import { waitFor } from '../../../test-support/wait.js'
import { createDevConfigServer, silentLogger } from '../src/server.js'

const SECRET = 'answers-test-secret'

let dir: { path: string; remove: () => Promise<void> }
let server: InProcessDevConfigServer | undefined

beforeEach(async () => {
  dir = await tempDir('dev-config-server-answers-')
  await writeFiles(dir.path, { 'application.yml': 'greeting: hello\n' })
})
afterEach(async () => {
  await server?.stop()
  server = undefined
  await dir.remove()
})

interface LogLine {
  level: string
  msg: string
  service: string
  [field: string]: unknown
}
const lines = (): LogLine[] =>
  server!
    .log()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine)
const linesOf = (msg: string): LogLine[] => lines().filter((line) => line.msg === msg)

const withClients = async (): Promise<InProcessDevConfigServer> =>
  (server = await startInProcessDevConfigServer({
    dir: dir.path,
    clients: { 'demo-client': SECRET, other: 'other-secret' },
    tokenTtlSeconds: 90,
  }))
const open = async (): Promise<InProcessDevConfigServer> =>
  (server = await startInProcessDevConfigServer({ dir: dir.path }))

const tokenOf = async (url: string): Promise<string> => {
  const response = await tokenRequest(url, basic('demo-client', SECRET))
  return ((await response.json()) as { access_token: string }).access_token
}

describe('the start and stop lines', () => {
  it('says where it listens, what it serves and who may ask, as the service', async () => {
    const { url, port } = await withClients()
    const [listening] = linesOf('listening')
    expect(listening).toMatchObject({
      level: 'info',
      service: 'dev-config-server',
      url,
      port,
      dir: dir.path,
      auth: 'bearer',
      clients: 'demo-client, other',
      tokenTtlSeconds: 90,
    })
    await server!.stop()
    expect(linesOf('stopped')).toHaveLength(1)
    // Stopped means stopped: the port answers no more.
    await expect(fetch(`${url}/actuator/health`)).rejects.toThrow()
    server = undefined
  })

  it('says auth is none without clients', async () => {
    await open()
    expect(linesOf('listening')[0]).toMatchObject({ auth: 'none', clients: '' })
  })

  it('refuses a second start, and a stop before any start does nothing', async () => {
    const idle = createDevConfigServer({ dir: dir.path, port: 0, logger: silentLogger })
    await idle.stop()
    await idle.start()
    await expect(idle.start()).rejects.toThrow('the dev config server is already started')
    await idle.stop()
  })
})

describe('refusals, as JSON with the headers a client needs', () => {
  it('answers 405 with Allow on the health, token and config routes', async () => {
    const { url } = await open()
    for (const [method, path, allow] of [
      ['POST', '/actuator/health', 'GET, HEAD'],
      ['GET', '/oauth/token', 'POST'],
      ['PUT', '/app/default', 'GET, HEAD'],
      ['DELETE', '/app/default/main', 'GET, HEAD'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method })
      expect(response.status, `${method} ${path}`).toBe(405)
      expect(response.headers.get('allow')).toBe(allow)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(await response.json()).toEqual({
        error: 'method_not_allowed',
        message: `use ${allow}`,
      })
    }
  })

  it('answers 401 for a missing or unknown bearer token, saying what to do', async () => {
    const { url } = await withClients()
    const missing = await fetch(`${url}/app/default`)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dev-config-server"')
    expect(await missing.json()).toEqual({
      error: 'unauthorized',
      message: 'send Authorization: Bearer <token>, from POST /oauth/token',
    })
    const unknown = await fetch(`${url}/app/default`, {
      headers: { authorization: 'Bearer not-a-token-it-issued' },
    })
    expect(unknown.status).toBe(401)
    expect(await unknown.json()).toEqual({
      error: 'invalid_token',
      message: 'the bearer token is unknown or has expired: get a new one from POST /oauth/token',
    })
    const token = await tokenOf(url)
    const served = await fetch(`${url}/app/default`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(served.status).toBe(200)
  })

  it('answers 404 naming the routes there are', async () => {
    const { url } = await open()
    const response = await fetch(`${url}/only-one-segment`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({
      error: 'not_found',
      message:
        'no such route: GET /{application}/{profile}[/{label}], POST /oauth/token, GET /actuator/health',
    })
  })

  it('sends neither X-Powered-By nor an ETag of its own on health', async () => {
    const { url } = await open()
    const response = await fetch(`${url}/actuator/health`)
    expect(await response.json()).toEqual({ status: 'UP' })
    expect(response.headers.get('x-powered-by')).toBeNull()
    expect(response.headers.get('etag')).toBeNull()
  })

  it('answers 400 to a bad name, saying what a name may hold, and logs it at warn', async () => {
    const { url } = await open()
    for (const [path, what] of [
      ['/.app/default', 'an application'],
      ['/app/.default', 'a profile'],
      ['/app/default/.label', 'a label'],
      ['/,/default', 'an application'],
      ['/app/,', 'a profile'],
    ] as const) {
      const response = await fetch(`${url}${path}`)
      expect(response.status, path).toBe(400)
      expect(await response.json()).toEqual({
        error: 'invalid_request',
        message: `${what} name holds letters, digits and . _ @ + - only, does not start with a dot, does not contain ".." and is at most 128 characters`,
      })
    }
    await waitFor(() => linesOf('request').length >= 5)
    expect(linesOf('request').map((line) => [line['status'], line.level])).toContainEqual([
      400,
      'warn',
    ])
  })

  it('answers 500 to a config file it cannot parse, and logs it as an error naming the code', async () => {
    await writeFile(join(dir.path, 'application.yml'), 'greeting: [unclosed\n')
    const { url } = await open()
    const response = await fetch(`${url}/app/default`)
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ error: 'invalid_config' })
    expect(linesOf('cannot serve config')[0]).toMatchObject({
      level: 'error',
      code: 'invalid_config',
    })
    // A 4xx is the client's doing: no error line for it.
    await fetch(`${url}/.bad/default`)
    expect(linesOf('cannot serve config')).toHaveLength(1)
  })
})

describe('the token endpoint', () => {
  it('forbids caching, issues for its lifetime, and logs the client but never the token', async () => {
    const { url } = await withClients()
    const response = await tokenRequest(url, basic('demo-client', SECRET))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('pragma')).toBe('no-cache')
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 90 })
    expect(linesOf('token issued')[0]).toMatchObject({ clientId: 'demo-client', expiresIn: 90 })
    const refused = await tokenRequest(url, basic('demo-client', 'wrong'))
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(server!.log()).not.toContain(String(body['access_token']))
    expect(server!.log()).not.toContain(SECRET)
  })

  it('logs why it refused: no clients, no credentials, a wrong secret, another grant', async () => {
    const { url: openUrl } = await open()
    await tokenRequest(openUrl, basic('demo-client', SECRET))
    expect(linesOf('token refused').map((line) => line['reason'])).toEqual([
      'no clients are configured',
    ])
    await server!.stop()
    const { url } = await withClients()
    await tokenRequest(url, undefined)
    await tokenRequest(url, basic('demo-client', 'wrong'))
    await tokenRequest(url, basic('nobody', SECRET))
    const grant = await tokenRequest(url, basic('demo-client', SECRET), 'grant_type=password')
    expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' })
    expect(
      linesOf('token refused').map((line) => [line.level, line['reason'], line['clientId']]),
    ).toEqual([
      ['warn', 'no client_secret_basic credentials', undefined],
      ['warn', 'unknown client or wrong secret', undefined],
      ['warn', 'unknown client or wrong secret', undefined],
      ['warn', 'unsupported grant type', 'demo-client'],
    ])
  })

  it('answers invalid_request to an empty grant or no body at all', async () => {
    const { url } = await withClients()
    const empty = await tokenRequest(url, basic('demo-client', SECRET), 'grant_type=')
    expect(empty.status).toBe(400)
    expect(await empty.json()).toEqual({ error: 'invalid_request' })
    const noBody = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic('demo-client', SECRET) },
    })
    expect(noBody.status).toBe(400)
    expect(await noBody.json()).toEqual({ error: 'invalid_request' })
  })

  it('answers 413 as JSON to a form over 16 KB, and reads a nested name as a plain key', async () => {
    const { url } = await withClients()
    const large = await tokenRequest(
      url,
      basic('demo-client', SECRET),
      `grant_type=client_credentials&pad=${'x'.repeat(20 * 1024)}`,
    )
    expect(large.status).toBe(413)
    expect(await large.json()).toEqual({
      error: 'invalid_request',
      message: 'the request cannot be read',
    })
    const nested = await tokenRequest(
      url,
      basic('demo-client', SECRET),
      'grant_type[x]=client_credentials',
    )
    expect(nested.status).toBe(400)
    expect(await nested.json()).toEqual({ error: 'invalid_request' })
  })
})

describe('the request and change lines', () => {
  it('logs the path (at most 300 characters), the status, the time and a short version', async () => {
    const { url } = await open()
    const response = await fetch(`${url}/app/default`)
    const etag = response.headers.get('etag')!
    await response.arrayBuffer()
    const long = `/app/${'p'.repeat(400)}`
    await (await fetch(`${url}${long}`)).arrayBuffer()
    const [first, second] = await waitFor(() => {
      const found = linesOf('request')
      return found.length >= 2 ? found : undefined
    })
    expect(first).toMatchObject({ method: 'GET', path: '/app/default', status: 200 })
    expect(first!['version']).toBe(etag.slice(1, 13))
    expect(first!['ms']).toBeGreaterThanOrEqual(0)
    expect(first!['ms']).toBeLessThan(10_000)
    expect(second!['path']).toBe(long.slice(0, 300))
  })

  it('remembers the version served per environment: going back to one is no news', async () => {
    const { url } = await open()
    for (const path of [
      '/app/default',
      '/app/dev',
      '/app/default',
      '/app/default/',
      '/app,x/dev',
    ]) {
      await (await fetch(`${url}${path}`)).arrayBuffer()
    }
    const levels = await waitFor(() => {
      const found = linesOf('request')
      return found.length >= 5 ? found.map((line) => line.level) : undefined
    })
    expect(levels).toEqual(['info', 'info', 'debug', 'debug', 'info'])
  })

  it('names the changed files, sorted, once they settle', async () => {
    await open()
    await writeFile(join(dir.path, 'zeta.yml'), 'a: 1\n')
    await writeFile(join(dir.path, 'alpha.yml'), 'a: 1\n')
    const line = await waitFor(() =>
      linesOf('config files changed').find((found) => String(found['paths']).includes('zeta')),
    )
    expect(line['paths']).toBe('alpha.yml, zeta.yml')
  })
})

describe('createDevConfigServer options', () => {
  it.each([
    [{ port: -1 }, 'port must be an integer from 0 to 65535'],
    [{ port: 65_536 }, 'port must be an integer from 0 to 65535'],
    [{ port: 80.5 }, 'port must be an integer from 0 to 65535'],
    [{ tokenTtlSeconds: 0 }, 'tokenTtlSeconds must be a positive number'],
    [{ tokenTtlSeconds: Number.POSITIVE_INFINITY }, 'tokenTtlSeconds must be a positive number'],
    [{ clients: { a: '' } }, 'client ids and secrets must not be empty'],
    [{ clients: { '': 'secret' } }, 'client ids and secrets must not be empty'],
  ])('refuses %j', (options, message) => {
    expect(() =>
      createDevConfigServer({ dir: dir.path, logger: silentLogger, ...options }),
    ).toThrow(new RangeError(message))
  })

  it('takes the edges of each range', () => {
    for (const options of [{ port: 0 }, { port: 65_535 }, { tokenTtlSeconds: 0.5 }]) {
      expect(() =>
        createDevConfigServer({ dir: dir.path, logger: silentLogger, ...options }),
      ).not.toThrow()
    }
  })
})
