// The page's live relay (src/page/relay.ts) as pages see it over real HTTP: one upstream event stream
// shared by every page, what a page gets when it joins, the `changes` event just before its config,
// the events the sidecar sends as the SSE format allows them, status polling (a status is sent when
// it changes), letting go of the sidecar when the last page leaves, reconnecting when the sidecar
// comes back, the first paint from the relay's own config, and close(). The cap and the drop of a
// page that does not read are in demo-page.test.ts.
import type { ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createLogger } from '@sample/shared'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { openEventStream } from '../../../test-support/http.js'
import type { EventStream, ServerEvent } from '../../../test-support/http.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { parsed } from '../../../test-support/logs.js'
import { listen, onCleanup } from '../../../test-support/servers.js'
import { sleep, waitFor } from '../../../test-support/wait.js'
import { createRelay } from '../src/page/relay.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { createSidecarState } from '../src/sidecar-state.js'

/** A status poll slow enough that no poll but the first happens during a test. */
const NO_POLLING = { statusEveryMs: 60_000 }

function textOf(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1]
}

async function openEvents(url: string): Promise<EventStream> {
  const stream = await openEventStream(`${url}/events`)
  onCleanup(() => stream.close())
  return stream
}

/** The next event of `type`, skipping others. */
async function nextOf(stream: EventStream, type: string): Promise<ServerEvent> {
  for (;;) {
    const event = await stream.next()
    if (event.event === type) return event
  }
}

const streamRequests = (sidecar: { seen: { accept: string | undefined }[] }): number =>
  sidecar.seen.filter((seen) => seen.accept?.includes('text/event-stream') === true).length

/**
 * A sidecar whose event stream the test writes by hand (`write`), with a /status that says ready at
 * version s1 (or 404 with `noStatus`) and a `/config/?redact` answer the test sets.
 */
async function scriptedSidecar(
  options: {
    noStatus?: boolean
    /** Milliseconds before /status answers, and before the event stream's head. */
    statusDelayMs?: number
    streamDelayMs?: number
    config?: { status: number; body: string; headers?: Record<string, string> }
  } = {},
) {
  const streams: ServerResponse[] = []
  const counts = { streamRequests: 0, statusServed: 0, statusInFlight: 0, maxStatusInFlight: 0 }
  const said = { version: 's1' }
  const { port } = await listen((req, res) => {
    const url = req.url ?? '/'
    if (req.headers.accept?.includes('text/event-stream') === true) {
      counts.streamRequests++
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.flushHeaders()
        streams.push(res)
      }, options.streamDelayMs ?? 0)
      return
    }
    if (url === '/status' && options.noStatus !== true) {
      counts.statusInFlight++
      counts.maxStatusInFlight = Math.max(counts.maxStatusInFlight, counts.statusInFlight)
      setTimeout(() => {
        counts.statusInFlight--
        counts.statusServed++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            ready: true,
            version: said.version,
            stale: false,
            fromSnapshot: false,
            lastError: null,
          }),
        )
      }, options.statusDelayMs ?? 0)
      return
    }
    if (url === '/readyz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}')
      return
    }
    if (url === '/config/?redact' && options.config !== undefined) {
      res.writeHead(options.config.status, options.config.headers ?? {}).end(options.config.body)
      return
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":{"code":"ERR_NOT_FOUND"}}')
  })
  return {
    port,
    streams,
    counts,
    /** What /status says from now on. */
    said,
    /** Writes to the newest event stream. */
    write(text: string): void {
      const stream = streams.at(-1)
      if (stream === undefined) throw new Error('no stream open')
      stream.write(text)
    },
  }
}

describe('one upstream stream for every page', () => {
  it('opens one stream to the sidecar however many pages follow, and sends each config to all of them', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const pages = [await openEvents(app.url), await openEvents(app.url), await openEvents(app.url)]
    for (const page of pages) expect((await nextOf(page, 'config')).id).toBe('"redacted-v1"')
    expect(streamRequests(sidecar)).toBe(1)
    expect(sidecar.seen.find((seen) => seen.accept?.includes('event-stream'))?.url).toBe(
      '/config/?redact',
    )

    sidecar.state.version = 'v2'
    sidecar.state.redacted = { greeting: 'hi again' }
    sidecar.push()
    for (const page of pages) {
      const event = await nextOf(page, 'config')
      expect(event.id).toBe('"redacted-v2"')
      expect(JSON.parse(event.data)).toEqual({ greeting: 'hi again' })
    }
    expect(streamRequests(sidecar)).toBe(1)
  })

  it('answers a page with an event stream that is not cached or buffered, asking a 2 s retry', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['x-accel-buffering']).toBe('no')
    await nextOf(page, 'config')
    expect(page.text().startsWith('retry: 2000\n\n')).toBe(true)
  })

  it('gives a page that joins later the current status and config at once, before anything new happens', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const first = await openEvents(app.url)
    const status = await nextOf(first, 'status')
    await nextOf(first, 'config')

    const later = await openEvents(app.url)
    const [a, b] = [await later.next(), await later.next()]
    expect(a).toEqual(status)
    expect(b).toMatchObject({ event: 'config', id: '"redacted-v1"' })
    expect(JSON.parse(b.data)).toEqual(sidecar.state.redacted)
    expect(streamRequests(sidecar)).toBe(1)
  })
})

describe('changes', () => {
  it('tells a change just before the config it describes, and the first paint lists the last five, newest first', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await nextOf(page, 'config')
    for (let n = 1; n <= 6; n++) {
      sidecar.state.version = `v${n + 1}`
      sidecar.pushChange({ changed: [`key${n}`] })
      const change = await nextOf(page, 'changes')
      expect(JSON.parse(change.data)).toMatchObject({
        added: [],
        removed: [],
        changed: [`key${n}`],
      })
      // The config follows it at once, nothing in between.
      expect(await page.next()).toMatchObject({ event: 'config', id: `"redacted-v${n + 1}"` })
      expect(page.text()).toContain(
        `"changed":["key${n}"]}\n\nid: "redacted-v${n + 1}"\nevent: config\n`,
      )
    }
    const html = await (await fetch(`${app.url}/`)).text()
    const list = /<ol id="changes"[^>]*>(.*?)<\/ol>/s.exec(html)?.[1] ?? ''
    const keys = [...list.matchAll(/key(\d)/g)].map((match) => match[1])
    expect(keys).toEqual(['6', '5', '4', '3', '2'])
  })

  it('passes on no malformed `changes` event: not JSON, null, a list that is missing or not of strings', async () => {
    const sidecar = await scriptedSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    // A status before any config carries no config badge (the page keeps its own).
    expect(JSON.parse((await nextOf(page, 'status')).data)).not.toHaveProperty('config')
    // A page that joins now gets the status alone.
    const second = await openEvents(app.url)
    expect((await second.next()).event).toBe('status')
    const bad = [
      'not json',
      'null',
      '{"added":[1],"removed":[],"changed":[]}',
      '{"added":[],"removed":[2],"changed":[]}',
      '{"added":[],"removed":[],"changed":[3]}',
      '{"removed":[],"changed":[]}',
      '{"added":[],"changed":[]}',
      '{"added":[],"removed":[]}',
    ]
    for (const data of bad) sidecar.write(`event: changes\ndata: ${data}\n\n`)
    sidecar.write('id: "e1"\nevent: config\ndata: {"a":1}\n\n')
    expect(await page.next()).toMatchObject({ event: 'config', id: '"e1"', data: '{"a":1}' })
    const html = await (await fetch(`${app.url}/`)).text()
    expect(html).toContain('No change yet')
  })
})

describe('the sidecar’s events, as the SSE format allows them', () => {
  it('reads fields with or without a space or a colon, across chunks, and skips comments and data-less blocks', async () => {
    const sidecar = await scriptedSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await nextOf(page, 'status')
    // A comment alone, a config with no data, a message event: none goes to the page.
    sidecar.write(': keep-alive\n\nevent: config\nid: "none"\n\ndata: a message\n\n')
    // One config in two chunks: a comment line, `data` with no colon, `data:` with nothing, a
    // second leading space kept, inner spaces kept.
    sidecar.write('id:"e1"\nevent:config\n: a note\ndata:first\nda')
    await sleep(50)
    sidecar.write('ta\ndata:\ndata:  two spaces\ndata:a b\nretry\n\n')
    const event = await page.next()
    expect(event).toEqual({
      event: 'config',
      id: '"e1"',
      data: 'first\n\n\n two spaces\na b',
    })
    // A config without an id goes out with an empty one, and the first paint shows no ETag.
    sidecar.write('event: config\ndata: {"b":2}\n\n')
    expect(await page.next()).toEqual({ event: 'config', id: '', data: '{"b":2}' })
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'etag')).toBe('—')
    expect(textOf(html, 'config')).toContain('&quot;b&quot;: 2')
  })

  it('lets go of a stream that sends more than 16 MiB without ending an event, and opens a new one', async () => {
    const sidecar = await scriptedSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    const first = sidecar.streams[0]
    let firstClosed = false
    first?.once('close', () => (firstClosed = true))
    const chunk = `data: ${'x'.repeat(1024 * 1024)}\n`
    for (let n = 0; n < 17 && !firstClosed; n++) {
      sidecar.write(chunk)
      await sleep(10)
    }
    await waitFor(() => (firstClosed ? true : undefined), {
      what: 'the first stream closed',
      timeoutMs: 20_000,
    })
    await waitFor(() => (sidecar.streams.length === 2 ? true : undefined), {
      what: 'a second stream',
      timeoutMs: 10_000,
    })
    sidecar.write('id: "e2"\nevent: config\ndata: {"after":"reconnect"}\n\n')
    expect(await nextOf(page, 'config')).toMatchObject({ id: '"e2"' })
    expect(page.closed()).toBe(false)
  }, 40_000)
})

describe('status', () => {
  it('sends a status only when it changes, and the config badge with it once a config is held', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 50 } })
    const page = await openEvents(app.url)
    await nextOf(page, 'config')
    await waitFor(() =>
      sidecar.seen.filter((seen) => seen.url === '/status').length >= 6 ? true : undefined,
    )
    const statuses = page.events().filter((event) => event.event === 'status')
    // The first status may come before the config (no config badge) and once more with it.
    expect(statuses.length).toBeLessThanOrEqual(2)
    expect(JSON.parse(statuses.at(-1)?.data ?? '{}')).toMatchObject({
      sidecar: { text: 'ready' },
      config: { text: 'fresh' },
      version: 'v1',
    })

    sidecar.state.stale = true
    sidecar.state.lastError = { code: 'ERR_UPSTREAM_DOWN', message: 'no answer', at: 'now' }
    const stale = JSON.parse((await nextOf(page, 'status')).data) as Record<string, unknown>
    expect(stale).toMatchObject({ config: { text: 'stale' } })
    expect(stale['reason']).toContain('ERR_UPSTREAM_DOWN')
  })

  it('lets go of the sidecar when the last page leaves: the stream closes and the polling stops', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 50 } })
    const pages = [await openEvents(app.url), await openEvents(app.url)]
    await nextOf(pages[0] as EventStream, 'config')
    const polled = sidecar.seen.filter((seen) => seen.url === '/status').length
    await waitFor(() =>
      sidecar.seen.filter((seen) => seen.url === '/status').length >= polled + 4 ? true : undefined,
    )
    expect(pages[0]?.events().filter((event) => event.event === 'config')).toHaveLength(1)
    pages[0]?.close()
    await sleep(200)
    expect(sidecar.streams.size).toBe(1)
    pages[1]?.close()
    await waitFor(() => (sidecar.streams.size === 0 ? true : undefined), {
      what: 'the upstream stream closed',
    })
    await sleep(100)
    const polls = sidecar.seen.filter((seen) => seen.url === '/status').length
    await sleep(300)
    expect(sidecar.seen.filter((seen) => seen.url === '/status').length).toBe(polls)

    // A page that comes later starts it all again, with what the sidecar says now.
    sidecar.state.version = 'v9'
    sidecar.state.redacted = { greeting: 'later' }
    const later = await openEvents(app.url)
    const first = await later.next()
    expect(first.event).toBe('status')
    expect(JSON.parse(first.data)).toMatchObject({ version: 'v9' })
    expect(await nextOf(later, 'config')).toMatchObject({ id: '"redacted-v9"' })
    // Each config once, however many polls come round; no change from before is listed.
    const served = sidecar.seen.filter((seen) => seen.url === '/status').length
    await waitFor(() =>
      sidecar.seen.filter((seen) => seen.url === '/status').length >= served + 4 ? true : undefined,
    )
    expect(later.events().filter((event) => event.event === 'config')).toHaveLength(1)
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'config')).toContain('later')
    expect(html).toContain('No change yet')
  })
})

describe('one request at a time to the sidecar', () => {
  it('opens one stream for pages that arrive while it is being opened', async () => {
    const sidecar = await scriptedSidecar({ streamDelayMs: 400 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    await Promise.all([openEvents(app.url), openEvents(app.url), openEvents(app.url)])
    await sleep(100)
    await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await sleep(100)
    expect(sidecar.counts.streamRequests).toBe(1)
  })

  it('asks for one status at a time, however often the poll comes round', async () => {
    const sidecar = await scriptedSidecar({ statusDelayMs: 150 })
    const app = await startInProcessApp(sidecar.port, { page: { statusEveryMs: 20 } })
    await openEvents(app.url)
    await waitFor(() => (sidecar.counts.statusServed >= 3 ? true : undefined))
    expect(sidecar.counts.maxStatusInFlight).toBe(1)
  })

  it('asks again after a slow status when a config came meanwhile, and sends the config after the status', async () => {
    const sidecar = await scriptedSidecar({ statusDelayMs: 300 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    sidecar.said.version = 's2'
    sidecar.write('id: "e2"\nevent: config\ndata: {"v":2}\n\n')
    // A first paint while the relay holds a config and no status yet.
    expect((await fetch(`${app.url}/`)).status).toBe(200)
    const first = await page.next()
    expect(first.event).toBe('status')
    expect(await page.next()).toMatchObject({ event: 'config', id: '"e2"' })
    const versions = [JSON.parse(first.data).version as string]
    while (!versions.includes('s2'))
      versions.push(JSON.parse((await nextOf(page, 'status')).data).version as string)
    expect(versions.at(-1)).toBe('s2')
  })

  it('keeps no status that comes back after the last page left', async () => {
    const sidecar = await scriptedSidecar({ statusDelayMs: 300 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.counts.statusInFlight === 1 ? true : undefined))
    page.close()
    await waitFor(() => (sidecar.counts.statusServed === 1 ? true : undefined))
    await sleep(100)
    sidecar.said.version = 's2'
    const later = await openEvents(app.url)
    const first = await later.next()
    expect(first.event).toBe('status')
    expect(JSON.parse(first.data)).toMatchObject({ version: 's2' })
  })
})

describe('reconnecting', () => {
  it('follows the sidecar again when it comes back, on one stream, and the page stays open', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await nextOf(page, 'config')
    await sidecar.down()
    sidecar.state.version = 'v2'
    sidecar.state.redacted = { greeting: 'back' }
    await sleep(1500) // at least one try while it is down
    // Not following now, the first paint asks the sidecar itself, and says what it finds.
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'ready')).toBe('unreachable')
    expect(textOf(html, 'config')).not.toContain('hello')
    await sidecar.up()
    const event = await nextOf(page, 'config')
    expect(event.id).toBe('"redacted-v2"')
    expect(JSON.parse(event.data)).toEqual({ greeting: 'back' })
    expect(page.closed()).toBe(false)
    await sleep(1200)
    expect(sidecar.streams.size).toBe(1)
  })

  it('tries the stream again after the sidecar refuses it', async () => {
    const sidecar = await fakeSidecar({ full: undefined, redacted: undefined })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await nextOf(page, 'status')
    sidecar.state.full = { greeting: 'ready now' }
    sidecar.state.redacted = { greeting: 'ready now' }
    expect(JSON.parse((await nextOf(page, 'config')).data)).toEqual({ greeting: 'ready now' })
  })
})

describe('the first paint', () => {
  it('comes from the relay’s own config while a page follows: the sidecar is not asked again', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await nextOf(page, 'config')
    await waitFor(() => (page.events().some((e) => e.event === 'status') ? true : undefined))
    // The sidecar's answer changes without an event: the page shows what the relay heard.
    sidecar.state.redacted = { greeting: 'not pushed' }
    const before = sidecar.seen.length
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'config')).toContain('hello')
    expect(html).not.toContain('not pushed')
    expect(textOf(html, 'etag')).toBe('&quot;redacted-v1&quot;')
    expect(textOf(html, 'version')).toBe('v1')
    // (a status poll may still be on its way; the config is not asked for)
    expect(sidecar.seen.slice(before).filter((seen) => seen.url.startsWith('/config'))).toEqual([])
  })

  it('asks the sidecar when no page follows: the version from the header when /status does not say', async () => {
    const sidecar = await scriptedSidecar({
      noStatus: true,
      config: {
        status: 200,
        body: '{"k":"v"}',
        headers: { 'content-type': 'application/json', etag: '"e9"', 'x-config-version': 'h9' },
      },
    })
    const app = await startInProcessApp(sidecar.port)
    const html = await (await fetch(`${app.url}/`)).text()
    expect(textOf(html, 'version')).toBe('h9')
    expect(textOf(html, 'etag')).toBe('&quot;e9&quot;')
    expect(textOf(html, 'config')).toContain('&quot;k&quot;: &quot;v&quot;')
  })

  it('shows no config for an empty 200 from the sidecar, nor for one that is not 200', async () => {
    for (const config of [
      { status: 200, body: '', headers: { etag: '"e0"', 'x-config-version': 'h0' } },
      { status: 503, body: '{"k":"v"}', headers: { etag: '"e1"', 'x-config-version': 'h1' } },
    ]) {
      const sidecar = await scriptedSidecar({ noStatus: true, config })
      const app = await startInProcessApp(sidecar.port)
      const html = await (await fetch(`${app.url}/`)).text()
      expect(textOf(html, 'etag')).toBe('—')
      expect(textOf(html, 'version')).toBe('—')
      expect(textOf(html, 'config')).toContain('has no config yet')
      expect(textOf(html, 'stale')).toBe('no config yet')
    }
  })
})

describe('a page that stops reading', () => {
  it('is dropped with a warning that says how much waited and the bound, and its place is free again', async () => {
    const sidecar = await fakeSidecar()
    const limit = 64 * 1024
    const app = await startInProcessApp(sidecar.port, {
      page: { maxBufferedBytes: limit, maxClients: 2, ...NO_POLLING },
    })
    const reader = await openEvents(app.url)
    await nextOf(reader, 'config')
    const stalled = connect({ host: '127.0.0.1', port: app.port })
    stalled.on('error', () => undefined)
    onCleanup(() => void stalled.destroy())
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
    stalled.pause()
    // Both places are taken.
    await waitFor(async () => {
      const controller = new AbortController()
      const answer = await fetch(`${app.url}/events`, { signal: controller.signal })
      controller.abort()
      return answer.status === 503 ? true : undefined
    })

    const blob = 'x'.repeat(64 * 1024)
    const drop = () =>
      parsed(app.logs).find((line) => line['msg'] === 'dropped a page stream that does not read')
    const deadline = Date.now() + 15_000
    for (let n = 0; drop() === undefined && Date.now() < deadline; n++) {
      sidecar.state.redacted = { blob, n }
      sidecar.push()
      await sleep(5)
    }
    const line = drop()
    expect(line).toMatchObject({ level: 'warn', limit })
    expect(Number(line?.['unsentBytes'])).toBeGreaterThan(limit)
    const again = await openEvents(app.url)
    expect(again.status).toBe(200)
    expect(reader.closed()).toBe(false)
  }, 30_000)
})

describe('close', () => {
  it('ends every page stream, lets go of the sidecar and takes no page after it', async () => {
    const sidecar = await fakeSidecar()
    const logs: string[] = []
    const logger = createLogger({ write: (line) => logs.push(line) })
    const client = createSidecarClient(`http://127.0.0.1:${sidecar.port}`, undefined)
    const relay = createRelay({
      sidecar: client,
      state: createSidecarState(client, logger),
      logger,
      options: { maxClients: 5, maxBufferedBytes: 1024 * 1024, statusEveryMs: 60_000 },
    })
    onCleanup(() => relay.close())
    const { port } = await listen((_req, res) => {
      if (!relay.add(res)) res.writeHead(503).end()
    })
    const url = `http://127.0.0.1:${port}`
    const pages = [await openEventStream(url), await openEventStream(url)]
    for (const page of pages) onCleanup(() => page.close())
    for (const page of pages) await nextOf(page, 'config')

    relay.close()
    for (const page of pages)
      await waitFor(() => (page.closed() ? true : undefined), { what: 'the page stream ended' })
    await waitFor(() => (sidecar.streams.size === 0 ? true : undefined))
    expect((await fetch(url)).status).toBe(503)
  })
})
