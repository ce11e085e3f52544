// The server itself: ETags and 304, the watcher, the request log, path checks, other routes.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import { rawRequest } from '../../../test-support/http.js'
import { startInProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import { waitFor } from '../../../test-support/wait.js'
import { createDevConfigServer, silentLogger } from '../src/server.js'

let dir: { path: string; remove: () => Promise<void> }
let root: string
let server: InProcessDevConfigServer

beforeEach(async () => {
  dir = await tempDir('dev-config-server-test-')
  // The served directory sits inside the temp directory, next to a file it must never serve.
  root = join(dir.path, 'config')
  await writeFiles(dir.path, {
    'outside.yml': 'stolen: true\n',
    'config/application.yml': 'color: blue\n',
    'config/.hidden.yml': 'hidden: true\n',
  })
  server = await startInProcessDevConfigServer({ dir: root })
})
afterEach(async () => {
  await server.stop()
  await dir.remove()
})

const colorOf = async (path = '/app/default'): Promise<unknown> => {
  const body = (await (await server.get(path)).json()) as {
    propertySources: { source: Record<string, unknown> }[]
  }
  return body.propertySources[0]?.source['color']
}

describe('version, ETag and 304', () => {
  it('sends a strong ETag equal to the version and answers If-None-Match with 304', async () => {
    const first = await server.get('/app/default')
    const body = (await first.json()) as { version: string }
    const etag = first.headers.get('etag')
    expect(etag).toBe(`"${body.version}"`)
    expect(first.headers.get('cache-control')).toBe('no-cache')

    const again = await server.get('/app/default', { 'if-none-match': etag! })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    expect(await again.text()).toBe('')
    // Weak comparison (RFC 9110), lists and * all count.
    expect((await server.get('/app/default', { 'if-none-match': `W/${etag}` })).status).toBe(304)
    expect((await server.get('/app/default', { 'if-none-match': `"x", ${etag}` })).status).toBe(304)
    expect((await server.get('/app/default', { 'if-none-match': '*' })).status).toBe(304)
    expect((await server.get('/app/default', { 'if-none-match': '"other"' })).status).toBe(200)
  })

  it('keeps the version while the content is the same, and changes it with the content', async () => {
    const version = async (path: string): Promise<string> =>
      ((await (await server.get(path)).json()) as { version: string }).version
    const before = await version('/app/default')
    expect(await version('/app/default')).toBe(before)
    // Rewriting identical bytes serves the same version.
    await writeFile(join(root, 'application.yml'), 'color: blue\n')
    expect(await version('/app/default')).toBe(before)
    // What is served differs by request too: another profile list is another answer.
    expect(await version('/app/dev')).not.toBe(before)

    await writeFile(join(root, 'application.yml'), 'color: green\n')
    const after = await waitFor(async () => {
      const current = await version('/app/default')
      return current !== before ? current : undefined
    })
    const stale = await server.get('/app/default', { 'if-none-match': `"${before}"` })
    expect(stale.status).toBe(200)
    expect(stale.headers.get('etag')).toBe(`"${after}"`)
  })

  it('answers HEAD like GET without a body', async () => {
    const response = await fetch(`${server.url}/app/default`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/)
    expect(await response.text()).toBe('')
  })
})

describe('watching the directory', () => {
  it('serves an edit within a second', async () => {
    expect(await colorOf()).toBe('blue')
    const edited = Date.now()
    await writeFile(join(root, 'application.yml'), 'color: green\n')
    await waitFor(async () => ((await colorOf()) === 'green' ? true : undefined), {
      timeoutMs: 1000,
      what: 'the edit',
    })
    expect(Date.now() - edited).toBeLessThan(1000)
  })

  it('serves new, renamed-over and removed files, and new label directories, within a second', async () => {
    const served = (path: string, expected: unknown) =>
      waitFor(async () => ((await colorOf(path)) === expected ? true : undefined), {
        timeoutMs: 1000,
        what: `${path} to serve ${String(expected)}`,
      })
    await writeFile(join(root, 'app-dev.yml'), 'color: red\n')
    await served('/app/dev', 'red')

    // Editors and ConfigMaps replace files by renaming over them.
    await writeFile(join(root, 'app-dev.yml.tmp'), 'color: yellow\n')
    await rename(join(root, 'app-dev.yml.tmp'), join(root, 'app-dev.yml'))
    await served('/app/dev', 'yellow')

    await rm(join(root, 'app-dev.yml'))
    await served('/app/dev', 'blue')

    expect((await server.get('/app/default/v9')).status).toBe(404)
    await mkdir(join(root, 'v9'))
    await writeFile(join(root, 'v9', 'application.yml'), 'color: v9\n')
    await served('/app/default/v9', 'v9')
  })

  it('logs which files changed', async () => {
    await writeFile(join(root, 'application.yml'), 'color: green\n')
    await waitFor(() => (server.log().includes('config files changed') ? true : undefined), {
      timeoutMs: 2000,
    })
    expect(server.log()).toContain('application.yml')
    expect(server.log()).not.toContain('green')
  })
})

describe('the request log', () => {
  interface RequestLine {
    level: string
    path: string
    status: number
  }
  const requestLines = (): RequestLine[] =>
    server
      .log()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RequestLine & { msg: string })
      .filter((line) => line.msg === 'request')
  /** Sends a request and waits for its log line (written when the answer has been sent). */
  const logged = async (
    path: string,
    headers: Record<string, string> = {},
  ): Promise<[number, string]> => {
    const before = requestLines().length
    const response = await server.get(path, headers)
    await response.arrayBuffer()
    const line = await waitFor(() => requestLines()[before], { what: `the log line of ${path}` })
    expect(line.path).toBe(path)
    return [line.status, line.level]
  }

  it('logs an unchanged config answer at debug, a new or changed one at info, an error at warn', async () => {
    const first = await server.get('/app/default')
    const etag = first.headers.get('etag')!
    await first.arrayBuffer()
    await waitFor(() => requestLines()[0])
    expect(requestLines().map((line) => [line.status, line.level])).toEqual([[200, 'info']])

    // Polls that change nothing: a 304, or the same answer again.
    expect(await logged('/app/default', { 'if-none-match': etag })).toEqual([304, 'debug'])
    expect(await logged('/app/default')).toEqual([200, 'debug'])
    // Another environment is news the first time, however many times /app/default was asked.
    expect(await logged('/app/dev')).toEqual([200, 'info'])
    expect(await logged('/app/dev')).toEqual([200, 'debug'])

    await writeFile(join(root, 'application.yml'), 'color: green\n')
    expect(await logged('/app/default')).toEqual([200, 'info'])
    expect(await logged('/app/default')).toEqual([200, 'debug'])
    // A client still holding the old ETag is told of a change.
    expect(await logged('/app/default', { 'if-none-match': etag })).toEqual([200, 'info'])

    expect(await logged('/app/default/nope')).toEqual([404, 'warn'])
    expect(await logged('/app/default/nope')).toEqual([404, 'warn'])
    await writeFile(join(root, 'application.yml'), 'color: [unclosed\n')
    expect(await logged('/app/default')).toEqual([500, 'warn'])
  })
})

describe('path segments', () => {
  it('refuses names that could leave the directory or reach hidden files', async () => {
    const refused = [
      '/../default',
      '/%2e%2e/default',
      '/..%2Foutside/default',
      '/app/..%2F..%2Foutside',
      '/app/default/..',
      '/app/default/%2e%2e',
      '/app/default/..%2F',
      '/app/default/(_)..(_)',
      '/app/default/a(_)..',
      '/%2Foutside/default',
      '/app%5C..%5Coutside/default',
      '/app%00/default',
      '/.hidden/default',
      '/app/default/.git',
      '/app/,,/',
      `/${'a'.repeat(200)}/default`,
    ]
    for (const path of refused) {
      const response = await rawRequest(`${server.url}/`, { path })
      expect({ path, status: response.status }).toEqual({ path, status: 400 })
      expect(response.body).not.toContain('stolen')
    }
    // Paths that resolve to another route, or to none, serve nothing from outside either.
    for (const path of ['/app/../../outside', '/app/default/../../../outside', '/a/b/c/d']) {
      const response = await rawRequest(`${server.url}/`, { path })
      expect([400, 404]).toContain(response.status)
      expect(response.body).not.toContain('stolen')
    }
  })

  it('answers bad percent-encoding with 400', async () => {
    expect((await rawRequest(`${server.url}/`, { path: '/app%zz/default' })).status).toBe(400)
  })
})

describe('other routes', () => {
  it('answers 404 JSON for unknown routes and 405 for other methods', async () => {
    const notFound = await server.get('/just-one-segment')
    expect(notFound.status).toBe(404)
    expect(await notFound.json()).toMatchObject({ error: 'not_found' })

    const post = await fetch(`${server.url}/app/default`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')

    const getToken = await server.get('/oauth/token')
    expect(getToken.status).toBe(405)
    expect(getToken.headers.get('allow')).toBe('POST')
  })

  it('has an open health route', async () => {
    const response = await server.get('/actuator/health')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'UP' })
  })
})

describe('the factory', () => {
  it('refuses to start on a missing directory, and stops idempotently', async () => {
    const missing = createDevConfigServer({
      dir: join(dir.path, 'nope'),
      port: 0,
      logger: silentLogger,
    })
    await expect(missing.start()).rejects.toThrow(/does not exist/)
    await missing.stop()
    await server.stop()
    await server.stop()
  })

  it('refuses bad options', () => {
    expect(() => createDevConfigServer({ dir: root, tokenTtlSeconds: 0 })).toThrow(RangeError)
    expect(() => createDevConfigServer({ dir: root, port: 70_000 })).toThrow(RangeError)
    expect(() => createDevConfigServer({ dir: root, clients: { id: '' } })).toThrow(RangeError)
  })

  it('reports a port in use', async () => {
    const second = createDevConfigServer({ dir: root, port: server.port, logger: silentLogger })
    await expect(second.start()).rejects.toMatchObject({ code: 'EADDRINUSE' })
    await second.stop()
  })
})
