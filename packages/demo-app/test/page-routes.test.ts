// The page's routes (src/page/page.ts) as a browser meets them: GET / with exactly the page's
// headers (its CSP, no framing, no referrer, no caching), GET /events beyond the cap answered 503
// with a Retry-After of 10 s and a JSON error, and close() ending every open stream.
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { openEventStream, rawRequest } from '../../../test-support/http.js'
import { onCleanup, listen } from '../../../test-support/servers.js'
import { waitFor } from '../../../test-support/wait.js'
import { createApp } from '../src/app.js'
import { PAGE_CSP } from '../src/page/browser.js'
import { createPage, PAGE_DEFAULTS } from '../src/page/page.js'
import type { PageOptions } from '../src/page/page.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { createSidecarState } from '../src/sidecar-state.js'
import { silentLogger } from '@sample/shared'

/** The app with its page, the page kept so that the test can close it. */
async function appWithPage(sidecarPort: number, options: PageOptions = {}) {
  const sidecar = createSidecarClient(`http://127.0.0.1:${sidecarPort}`, undefined)
  const state = createSidecarState(sidecar, silentLogger)
  const page = createPage({ sidecar, state, logger: silentLogger, ...options })
  onCleanup(() => page.close())
  const app = createApp({ sidecar, sidecarPort, state, logger: silentLogger, page })
  const { port } = await listen(app)
  return { url: `http://127.0.0.1:${port}`, page }
}

describe('the page routes', () => {
  it('serves GET / as no-store HTML with its CSP, no framing and no referrer', async () => {
    const sidecar = await fakeSidecar()
    const app = await appWithPage(sidecar.port)
    const response = await rawRequest(`${app.url}/`)
    expect(response.status).toBe(200)
    expect(response.headers).toMatchObject({
      'content-security-policy': PAGE_CSP,
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-type': 'text/html; charset=utf-8',
    })
    expect(response.body).toContain('<h1>Config sidecar demo</h1>')
  })

  it('answers GET /events beyond the cap with 503, Retry-After 10, no-store and ERR_TOO_MANY_CONNECTIONS', async () => {
    const sidecar = await fakeSidecar()
    const app = await appWithPage(sidecar.port, { maxClients: 1 })
    const first = await openEventStream(`${app.url}/events`)
    onCleanup(() => first.close())
    const beyond = await rawRequest(`${app.url}/events`)
    expect(beyond.status).toBe(503)
    expect(beyond.headers).toMatchObject({
      'retry-after': '10',
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
    })
    expect(JSON.parse(beyond.body)).toEqual({
      error: {
        code: 'ERR_TOO_MANY_CONNECTIONS',
        message: 'too many pages follow the config: try later',
      },
    })
  })

  it('ends every open stream on close()', async () => {
    const sidecar = await fakeSidecar()
    const app = await appWithPage(sidecar.port)
    const streams = [
      await openEventStream(`${app.url}/events`),
      await openEventStream(`${app.url}/events`),
    ]
    for (const stream of streams) onCleanup(() => stream.close())
    expect(streams.map((stream) => stream.status)).toEqual([200, 200])
    app.page.close()
    await waitFor(() => (streams.every((stream) => stream.closed()) ? true : undefined))
  })

  it('holds 50 pages at most, each at most 256 KiB behind, with a status every 2 s, by default', () => {
    expect(PAGE_DEFAULTS).toEqual({
      maxClients: 50,
      maxBufferedBytes: 256 * 1024,
      statusEveryMs: 2000,
    })
  })
})
