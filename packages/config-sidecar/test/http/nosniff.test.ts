// Every answer of the sidecar carries `X-Content-Type-Options: nosniff`, whichever code path built
// it: the config hot path (200, 304, long polls), error JSON, the express routes, the probes, the
// health listener and the event stream.
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { rawRequest } from '../../../../test-support/http.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { waitFor } from '../../../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: InProcessSidecar

beforeAll(async () => {
  dir = await tempDir()
  const file = join(dir.path, 'config.json')
  await writeFile(file, JSON.stringify({ app: { name: 'demo' }, flag: true }))
  sidecar = await startInProcessSidecar(
    { CONFIG_SOURCE: `file:${file}` },
    { maxConnections: 16, healthListener: true },
  )
  await sidecar.firstRefresh
})
afterAll(async () => {
  await sidecar.stop()
  await dir.remove()
})

const NOSNIFF = 'nosniff'

describe('X-Content-Type-Options: nosniff', () => {
  it('is on config answers: 200 (JSON, a path, a format, HEAD), 304 and a long poll’s 304', async () => {
    for (const path of ['/config/', '/config/app/name', '/config/?format=env', '/config/?redact']) {
      const response = await sidecar.get(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('x-content-type-options'), path).toBe(NOSNIFF)
    }
    const head = await sidecar.get('/config/', { method: 'HEAD' })
    expect(head.headers.get('x-content-type-options')).toBe(NOSNIFF)

    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const unchanged = await sidecar.get('/config/', { headers: { 'if-none-match': etag } })
    expect(unchanged.status).toBe(304)
    expect(unchanged.headers.get('x-content-type-options')).toBe(NOSNIFF)

    const polled = await sidecar.get('/config/?wait=0.2', { headers: { 'if-none-match': etag } })
    expect(polled.status).toBe(304)
    expect(polled.headers.get('x-content-type-options')).toBe(NOSNIFF)
  })

  it('is on every error JSON: 400, 401, 403, 404, 405 and 429', async () => {
    const answers = [
      await sidecar.get('/config/', { headers: { authorization: 'Bearer wrong' } }),
      await sidecar.get('/config/%E0%A4%A'),
      await sidecar.get('/config/nope'),
      await sidecar.get('/config/', { method: 'DELETE' }),
      await sidecar.get('/refresh'),
      await sidecar.get('/no-such-route'),
      await sidecar.get('/config/', { headers: { 'x-forwarded-for': '203.0.113.9' } }),
    ]
    expect(answers.map((answer) => answer.status)).toEqual([401, 400, 404, 405, 405, 404, 400])
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe(NOSNIFF)

    const foreign = await rawRequest(`${sidecar.url}/config/`, {
      headers: { host: 'attacker.example', authorization: `Bearer ${sidecar.token!}` },
    })
    expect(foreign.status).toBe(403)
    expect(foreign.headers['x-content-type-options']).toBe(NOSNIFF)

    // Past the connection cap (16): idle sockets, then one more request.
    const sockets: Socket[] = []
    try {
      for (let i = 0; i < 20; i += 1) {
        const socket = connect(sidecar.port, '127.0.0.1')
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
        sockets.push(socket)
      }
      const crowded = await rawRequest(`${sidecar.url}/config/`, {
        headers: { authorization: `Bearer ${sidecar.token!}` },
      })
      expect(crowded.status).toBe(429)
      expect(crowded.headers['x-content-type-options']).toBe(NOSNIFF)
    } finally {
      for (const socket of sockets) socket.destroy()
    }
    await waitFor(async () => ((await sidecar.get('/livez')).status === 200 ? true : undefined))
  })

  it('is on /status, /metrics, /refresh, the probes and the health listener', async () => {
    for (const [path, method] of [
      ['/status', 'GET'],
      ['/metrics', 'GET'],
      ['/refresh', 'POST'],
      ['/livez', 'GET'],
      ['/readyz', 'GET'],
    ] as const) {
      const response = await sidecar.get(path, { method })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('x-content-type-options'), path).toBe(NOSNIFF)
    }
    for (const path of ['/livez', '/readyz', '/elsewhere']) {
      const response = await fetch(`http://127.0.0.1:${sidecar.healthPort!}${path}`)
      expect(response.headers.get('x-content-type-options'), `health ${path}`).toBe(NOSNIFF)
    }
  })

  it('is on the event stream', async () => {
    const controller = new AbortController()
    const response = await sidecar.get('/config/', {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    })
    try {
      expect(response.headers.get('content-type')).toContain('text/event-stream')
      expect(response.headers.get('x-content-type-options')).toBe(NOSNIFF)
    } finally {
      controller.abort()
    }
  })
})
