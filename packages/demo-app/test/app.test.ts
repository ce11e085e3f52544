import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, tempDir } from '../../../test-support/helpers.js'
import { createApp } from '../src/app.js'
import { createLogger } from '../src/logger.js'
import { createSidecarClient } from '../src/sidecar-client.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { server, port: (server.address() as AddressInfo).port }
}

/** The demo app in process, talking to a sidecar on `sidecarPort`; returns its URL and log lines. */
async function startApp(
  sidecarPort: number,
  token?: { kind: 'file'; path: string } | { kind: 'inline'; value: string },
) {
  const logs: string[] = []
  const sidecar = createSidecarClient(`http://127.0.0.1:${sidecarPort}`, token)
  const app = createApp({
    sidecar,
    sidecarPort,
    logger: createLogger({ write: (line) => logs.push(line) }),
  })
  const { port } = await listen(app)
  return { url: `http://127.0.0.1:${port}`, logs }
}

const CONFIG = JSON.stringify({ greeting: 'hi', secret: 'not-for-logs-42' })

describe('GET /config', () => {
  it('answers the sidecar /config/ JSON with its headers and logs the article lines, never the body', async () => {
    const seen: { url: string | undefined; authorization: string | undefined }[] = []
    const sidecar = await listen((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization })
      res.writeHead(200, {
        'content-type': 'application/json',
        etag: '"abc"',
        'x-config-version': 'v7',
        'x-config-stale': 'false',
        age: '3',
      })
      res.end(CONFIG)
    })
    const app = await startApp(sidecar.port, { kind: 'inline', value: 'token-1234567890abcdef' })
    const response = await fetch(`${app.url}/config`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(CONFIG)
    expect(response.headers.get('x-config-version')).toBe('v7')
    expect(response.headers.get('etag')).toBe('"abc"')
    expect(seen).toEqual([{ url: '/config/', authorization: 'Bearer token-1234567890abcdef' }])
    const lines = app.logs.map((line) => JSON.parse(line) as { msg: string })
    expect(lines[0]!.msg).toBe(
      `Sending a request to the config-server sidecar at localhost:${sidecar.port}/config/`,
    )
    expect(lines[1]!.msg).toBe('Received config version v7 from the sidecar')
    expect(app.logs.join('\n')).not.toContain('not-for-logs-42')
  })

  it('answers 503 with Retry-After within 2 s when the sidecar is down', async () => {
    const app = await startApp(await freePort())
    const started = Date.now()
    const response = await fetch(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('2')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_SIDECAR_UNAVAILABLE' } })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers 503 within 2 s when the sidecar hangs', async () => {
    const sidecar = await listen(() => undefined)
    const app = await startApp(sidecar.port)
    const started = Date.now()
    const response = await fetch(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers 503 when the sidecar is not ready, and never an empty 200', async () => {
    let answer: [number, string] = [503, '{"error":{"code":"ERR_CONFIG_NOT_READY","message":"x"}}']
    const sidecar = await listen((_req, res) => {
      res.writeHead(answer[0], { 'content-type': 'application/json' })
      res.end(answer[1])
    })
    const app = await startApp(sidecar.port)
    const notReady = await fetch(`${app.url}/config`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toMatchObject({ error: { code: 'ERR_SIDECAR_NOT_READY' } })
    answer = [200, '']
    expect((await fetch(`${app.url}/config`)).status).toBe(503)
  })

  it('reads the token file again after a 401 (the sidecar restarted with a new token)', async () => {
    const dir = await tempDir()
    closers.push(dir.remove)
    const tokenFile = join(dir.path, 'token')
    await writeFile(tokenFile, 'old-token-0123456789abcdef\n')
    const sidecar = await listen((req, res) => {
      if (req.headers.authorization !== 'Bearer new-token-0123456789abcdef') {
        res.writeHead(401).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(CONFIG)
    })
    const app = await startApp(sidecar.port, { kind: 'file', path: tokenFile })
    expect((await fetch(`${app.url}/config`)).status).toBe(503)
    await writeFile(tokenFile, 'new-token-0123456789abcdef\n')
    expect((await fetch(`${app.url}/config`)).status).toBe(200)
  })
})

describe('probes', () => {
  it('is alive regardless of the sidecar and ready only while the sidecar is', async () => {
    let ready = false
    const sidecar = await listen((req, res) => {
      res.writeHead(req.url === '/readyz' && ready ? 200 : 503).end('{}')
    })
    const app = await startApp(sidecar.port)
    expect((await fetch(`${app.url}/livez`)).status).toBe(200)
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503)
    ready = true
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200)
  })
})
