// The article's GET /config and the probes, against a fake sidecar on a real port.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { tempDir } from '../../../test-support/files.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { parsed } from '../../../test-support/logs.js'
import { closedPort } from '../../../test-support/ports.js'
import { listen, onCleanup } from '../../../test-support/servers.js'

const REDACTED = { greeting: 'hi', secret: '[redacted]' }
const FULL_BODY = JSON.stringify({ greeting: 'hi', secret: 'fixture-value-42' })

describe('GET /config', () => {
  it("answers the sidecar's REDACTED view with its headers, and logs the article's lines, never the body", async () => {
    const seen: { url: string | undefined; authorization: string | undefined }[] = []
    const sidecar = await listen((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization })
      const redact = req.url?.includes('?redact') === true
      res.writeHead(200, {
        'content-type': 'application/json',
        etag: redact ? '"redacted-abc"' : '"full-abc"',
        'x-config-version': 'v7',
        'x-config-stale': 'false',
        age: '3',
      })
      res.end(redact ? JSON.stringify(REDACTED) : FULL_BODY)
    })
    const app = await startInProcessApp(sidecar.port, {
      token: { kind: 'inline', value: 'token-1234567890abcdef' },
    })
    const response = await fetch(`${app.url}/config`)
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual(REDACTED)
    expect(text).not.toContain('fixture-value-42')
    expect(response.headers.get('x-config-version')).toBe('v7')
    expect(response.headers.get('etag')).toBe('"redacted-abc"')
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(seen).toEqual([
      { url: '/config/?redact', authorization: 'Bearer token-1234567890abcdef' },
    ])
    const lines = parsed(app.logs)
    expect(lines[0]!['msg']).toBe(
      `Sending a request to the config-server sidecar at localhost:${sidecar.port}/config/`,
    )
    expect(lines[1]!['msg']).toBe('Received config version v7 from the sidecar')
    expect(app.logs.join('\n')).not.toContain('fixture-value-42')
    expect(app.logs.join('\n')).not.toContain('[redacted]')
  })

  it('passes If-None-Match to the redacted view and answers 304 while unchanged', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port)
    const first = await fetch(`${app.url}/config`)
    const etag = first.headers.get('etag')!
    expect(etag).toBe('"redacted-v1"')
    const again = await fetch(`${app.url}/config`, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(sidecar.seen.map((request) => request.url)).toEqual([
      '/config/?redact',
      '/config/?redact',
    ])
  })

  it('answers 503 with Retry-After within 2 s when the sidecar is down', async () => {
    const app = await startInProcessApp(await closedPort())
    const started = Date.now()
    const response = await fetch(`${app.url}/config`)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('2')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_SIDECAR_UNAVAILABLE' } })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers 503 within 2 s when the sidecar hangs', async () => {
    const sidecar = await listen(() => undefined)
    const app = await startInProcessApp(sidecar.port)
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
    const app = await startInProcessApp(sidecar.port)
    const notReady = await fetch(`${app.url}/config`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toMatchObject({ error: { code: 'ERR_SIDECAR_NOT_READY' } })
    answer = [200, '']
    expect((await fetch(`${app.url}/config`)).status).toBe(503)
  })

  it('reads the token file again after a 401 (the sidecar restarted with a new token)', async () => {
    const dir = await tempDir()
    onCleanup(dir.remove)
    const tokenFile = join(dir.path, 'token')
    await writeFile(tokenFile, 'old-token-0123456789abcdef\n')
    const sidecar = await listen((req, res) => {
      if (req.headers.authorization !== 'Bearer new-token-0123456789abcdef') {
        res.writeHead(401).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(REDACTED))
    })
    const app = await startInProcessApp(sidecar.port, { token: { kind: 'file', path: tokenFile } })
    expect((await fetch(`${app.url}/config`)).status).toBe(503)
    await writeFile(tokenFile, 'new-token-0123456789abcdef\n')
    expect((await fetch(`${app.url}/config`)).status).toBe(200)
  })
})

describe('headers', () => {
  it('sends X-Content-Type-Options: nosniff on every answer, errors included', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port)
    const down = await startInProcessApp(await closedPort())
    for (const url of [
      `${app.url}/config`,
      `${down.url}/config`,
      `${app.url}/`,
      `${app.url}/livez`,
      `${app.url}/readyz`,
      `${down.url}/readyz`,
      `${app.url}/no-such-route`,
    ]) {
      const response = await fetch(url)
      await response.arrayBuffer()
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff')
    }
    const controller = new AbortController()
    const events = await fetch(`${app.url}/events`, { signal: controller.signal })
    expect(events.headers.get('x-content-type-options')).toBe('nosniff')
    controller.abort()
  })
})

describe('probes', () => {
  it('is alive regardless of the sidecar and ready only while the sidecar is', async () => {
    let ready = false
    const sidecar = await listen((req, res) => {
      res.writeHead(req.url === '/readyz' && ready ? 200 : 503).end('{}')
    })
    const app = await startInProcessApp(sidecar.port)
    expect((await fetch(`${app.url}/livez`)).status).toBe(200)
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503)
    ready = true
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200)
  })

  it("becomes ready beside a sidecar with no /readyz (the original Go sample's) once /config/ answers 200, and says so once", async () => {
    const sidecar = await fakeSidecar({
      full: undefined,
      redacted: undefined,
      missing: new Set(['/readyz', '/status', '/livez']),
    })
    const app = await startInProcessApp(sidecar.port)
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503)
    sidecar.state.full = { greeting: 'from the Go sample' }
    sidecar.state.redacted = { greeting: 'from the Go sample' }
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200)
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200)
    const notes = parsed(app.logs).filter((line) => String(line['msg']).includes('/readyz'))
    expect(notes).toHaveLength(1)
    expect(String(notes[0]!['msg'])).toMatch(/no \/readyz.*\/config\/ answers 200/)
  })
})
