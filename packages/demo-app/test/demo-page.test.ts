// The demo page and its live relay, against a fake sidecar on a real port: the first paint is
// rendered on the server, the badges say only what is known, and the relay's memory stays bounded
// (a client cap, and a client that does not read is dropped).
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { openEventStream } from '../../../test-support/http.js'
import type { EventStream } from '../../../test-support/http.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { parsed } from '../../../test-support/logs.js'
import { closedPort } from '../../../test-support/ports.js'
import { onCleanup } from '../../../test-support/servers.js'
import { sleep, waitFor } from '../../../test-support/wait.js'

/** The text inside the element with this id (the page's markup keeps each on one line). */
function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)
  return match?.[1]
}

/**
 * Opens the app's `GET /events` and keeps it open until the end of the test; keeps the last 256 KiB
 * of text (the drop test streams hundreds of MiB through a reading client).
 */
async function openEvents(url: string): Promise<EventStream> {
  const stream = await openEventStream(`${url}/events`, { tailBytes: 256 * 1024 })
  onCleanup(() => stream.close())
  return stream
}

describe('the first paint', () => {
  it('holds the current redacted config, escaped, with its version, the redacted view’s ETag and true badges', async () => {
    const sidecar = await fakeSidecar({
      full: { greeting: '<img src=x onerror=alert(1)>', api: { key: 'fixture-key-7' } },
      redacted: { greeting: '<img src=x onerror=alert(1)>', api: { key: '[redacted]' } },
      version: 'v42',
    })
    const app = await startInProcessApp(sidecar.port)
    const response = await fetch(`${app.url}/`)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).not.toContain('Waiting for the first config')
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('fixture-key-7')
    expect(textOf(html, 'config')).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(textOf(html, 'config')).toContain('[redacted]')
    expect(textOf(html, 'version')).toBe('v42')
    expect(textOf(html, 'etag')).toBe('&quot;redacted-v42&quot;')
    expect(html).toMatch(/ETag[^<]*redacted view/)
    expect(textOf(html, 'ready')).toBe('ready')
    expect(textOf(html, 'stale')).toBe('fresh')
    // The page read the redacted view only.
    const configReads = sidecar.seen.filter((seen) => seen.url.startsWith('/config'))
    expect(configReads.map((seen) => seen.url)).toEqual(['/config/?redact'])
  })

  it('claims nothing it does not know: no "fresh" without a config, "unreachable" only after a try', async () => {
    const empty = await fakeSidecar({ full: undefined, redacted: undefined })
    const notReady = await (await fetch(`${(await startInProcessApp(empty.port)).url}/`)).text()
    expect(textOf(notReady, 'ready')).toBe('not ready')
    expect(textOf(notReady, 'stale')).not.toBe('fresh')
    expect(notReady).not.toContain('Waiting for the first config')

    const down = await (await fetch(`${(await startInProcessApp(await closedPort())).url}/`)).text()
    expect(textOf(down, 'ready')).toBe('unreachable')
    expect(textOf(down, 'stale')).not.toBe('fresh')
  })

  it('shows "stale" with the reason the sidecar gives: the error code and the key path', async () => {
    const sidecar = await fakeSidecar({
      stale: true,
      lastError: {
        code: 'ERR_SECRET_KEY_NOT_FOUND',
        message: 'secret at payments.apiKey names kid "old-key", which is not in CONFIG_KEYS',
        at: new Date().toISOString(),
      },
    })
    const app = await startInProcessApp(sidecar.port)
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'stale')).toBe('stale')
    expect(textOf(html, 'stale-reason')).toContain('ERR_SECRET_KEY_NOT_FOUND')
    expect(textOf(html, 'stale-reason')).toContain('payments.apiKey')
  })

  it('warns, with a badge, when the sidecar decrypts with the shipped demo key (public)', async () => {
    const sidecar = await fakeSidecar({ demoKeyIds: ['demo-only-rsa-2026', '<b>odd</b>'] })
    const app = await startInProcessApp(sidecar.port)
    const html = await (await fetch(`${app.url}/`)).text()
    expect(html).toMatch(/<p id="demo-key-row" class="alert" role="alert">/)
    expect(textOf(html, 'demo-key')).toBe('public demo key')
    expect(html).toMatch(/id="demo-key" class="badge" data-tone="bad"/)
    const reason = textOf(html, 'demo-key-reason') ?? ''
    expect(reason).toContain('demo-only-rsa-2026')
    expect(reason).toContain('public')
    expect(reason).toContain('&lt;b&gt;odd&lt;/b&gt;')
    expect(html).not.toContain('<b>odd</b>')
  })

  it('shows no demo key warning when the sidecar has keys of its own, or does not say', async () => {
    for (const demoKeyIds of [[], undefined]) {
      const sidecar = await fakeSidecar({ demoKeyIds })
      const html = await (await fetch(`${(await startInProcessApp(sidecar.port)).url}/`)).text()
      expect(html, String(demoKeyIds)).toMatch(
        /<p id="demo-key-row" class="alert" role="alert" hidden>/,
      )
      expect(textOf(html, 'demo-key-reason')).toBe('')
    }
  })

  it("carries a CSP with frame-ancestors 'none' and nosniff", async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port)
    const response = await fetch(`${app.url}/`)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })
})

describe('the live relay', () => {
  it('never sends a status it has not checked (no "unreachable" before the first try), and sends it before the config', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port)
    const events = await openEvents(app.url)
    await waitFor(() => (events.text().includes('event: config') ? true : undefined))
    await sleep(200)
    expect(events.text()).not.toContain('unreachable')
    expect(events.text()).toMatch(/event: status\ndata: .*"ready"/)
    // A status first, then the config (the order exercise 3 of the workshop shows).
    expect(events.text().indexOf('event: status')).toBeLessThan(
      events.text().indexOf('event: config'),
    )
  })

  it('sends the demo key warning with the status, and its end when the sidecar stops using it', async () => {
    const sidecar = await fakeSidecar({ demoKeyIds: ['demo-only-ec-2026'] })
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 100 } })
    const events = await openEvents(app.url)
    await waitFor(() => (events.text().includes('"demoKey":{') ? true : undefined))
    expect(events.text()).toMatch(
      /event: status\ndata: .*"demoKey":\{"text":"public demo key","tone":"bad"\}.*demo-only-ec-2026/,
    )
    sidecar.state.demoKeyIds = []
    await waitFor(() => (events.text().includes('"demoKey":null') ? true : undefined))
  })

  it('serves at most maxClients streams: beyond, 503 with Retry-After and a JSON error', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { maxClients: 2 } })
    const first = await openEvents(app.url)
    await openEvents(app.url)
    const third = await fetch(`${app.url}/events`)
    expect(third.status).toBe(503)
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(third.headers.get('content-type')).toContain('application/json')
    expect(await third.json()).toMatchObject({ error: { code: 'ERR_TOO_MANY_CONNECTIONS' } })
    // A place frees when a page goes away.
    first.close()
    await waitFor(async () => {
      const controller = new AbortController()
      const again = await fetch(`${app.url}/events`, { signal: controller.signal })
      controller.abort()
      return again.status === 200 ? true : undefined
    })
  })

  it('drops a client that does not read once its unsent buffer passes the bound, and keeps one that reads', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { maxBufferedBytes: 128 * 1024 } })
    const reader = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.size === 1 ? true : undefined))

    // A raw socket that asks for the stream and then never reads.
    const stalled = connect({ host: '127.0.0.1', port: app.port })
    let closed = false
    stalled.once('close', () => (closed = true))
    stalled.on('error', () => undefined)
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
    stalled.pause()
    onCleanup(() => void stalled.destroy())
    await sleep(100)

    const blob = 'x'.repeat(64 * 1024)
    let sent = 0
    const dropped = () =>
      parsed(app.logs).some((line) => String(line['msg']).includes('does not read'))
    const deadline = Date.now() + 15_000
    while (!dropped() && Date.now() < deadline) {
      sidecar.state.redacted = { blob, n: ++sent }
      sidecar.push()
      await sleep(5)
    }
    expect(dropped(), `dropped after ${sent} events of 64 KiB`).toBe(true)

    // The server ended the stalled stream: once the socket reads again it sees the end.
    stalled.resume()
    await waitFor(() => (closed ? true : undefined), { timeoutMs: 10_000, what: 'the end' })

    // The reading client was kept, and still follows changes.
    sidecar.state.redacted = { after: 'the drop' }
    sidecar.push()
    await waitFor(() => (reader.text().includes('"after":"the drop"') ? true : undefined))
    expect(reader.closed()).toBe(false)
  }, 40_000)
})
