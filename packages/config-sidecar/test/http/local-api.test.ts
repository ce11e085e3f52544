// The rest of the local API contract: the connection cap, and SIGTERM answering open long polls
// and streams (in-process here; the process-level exit is in test/e2e).
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import type { ClientRequest } from 'node:http'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { waitFor } from '../../../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: InProcessSidecar | undefined

beforeEach(async () => {
  dir = await tempDir()
  await writeFile(join(dir.path, 'c.json'), '{"a":1}')
})
afterEach(async () => {
  await sidecar?.stop()
  sidecar = undefined
  await dir.remove()
})

/** Opens a request and leaves it waiting; resolves with the status when it is answered. */
function hold(
  url: string,
  headers: Record<string, string>,
): {
  req: ClientRequest
  started: Promise<void>
  answered: Promise<{ status: number; body: string }>
} {
  let req!: ClientRequest
  let started!: () => void
  const startedPromise = new Promise<void>((resolve) => (started = resolve))
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request(url, { headers }, (res) => {
      started()
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  return { req, started: startedPromise, answered }
}

describe('connection cap', () => {
  it('answers 429 past the most open connections, and serves again once they close', async () => {
    sidecar = await startInProcessSidecar(
      { CONFIG_SOURCE: `file:${join(dir.path, 'c.json')}` },
      { maxConnections: 3 },
    )
    await sidecar.firstRefresh
    const auth = { authorization: `Bearer ${sidecar.token!}`, accept: 'text/event-stream' }
    const streams = [
      hold(`${sidecar.url}/config/`, auth),
      hold(`${sidecar.url}/config/`, auth),
      hold(`${sidecar.url}/config/`, auth),
    ]
    await Promise.all(streams.map((stream) => stream.started))
    const refused = await sidecar.get('/config/', { headers: { connection: 'close' } })
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ error: { code: 'ERR_TOO_MANY_CONNECTIONS' } })
    for (const stream of streams) {
      stream.answered.catch(() => undefined)
      stream.req.destroy()
    }
    await waitFor(async () =>
      (await sidecar!.get('/config/', { headers: { connection: 'close' } })).status === 200
        ? true
        : undefined,
    )
  })
})

describe('stop (SIGTERM)', () => {
  it('answers open long polls and ends open streams', async () => {
    sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${join(dir.path, 'c.json')}` })
    await sidecar.firstRefresh
    const etag = (await sidecar.get('/config/')).headers.get('etag')!
    const poll = hold(`${sidecar.url}/config/?wait=60`, {
      authorization: `Bearer ${sidecar.token!}`,
      'if-none-match': etag,
    })
    const stream = hold(`${sidecar.url}/config/`, {
      authorization: `Bearer ${sidecar.token!}`,
      accept: 'text/event-stream',
    })
    await waitFor(async () => {
      const { waiting } = (await (await sidecar!.get('/status')).json()) as {
        waiting: { streams: number; longPolls: number }
      }
      return waiting.streams === 1 && waiting.longPolls === 1 ? true : undefined
    })
    const started = Date.now()
    await sidecar.stop()
    sidecar = undefined
    expect((await poll.answered).status).toBe(304)
    expect((await stream.answered).body).toContain('event: config')
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
