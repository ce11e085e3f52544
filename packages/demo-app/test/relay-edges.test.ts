// The page's live relay (src/page/relay.ts) at its edges, over real HTTP: a `changes` event whose
// data spans lines, a status asked for while a slow one is on its way, a page that joins when a
// status is held and no config yet, one status request when a page joins, and no stream to the
// sidecar left open or opened again once the last page has left while a connect was under way.
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { openEventStream } from '../../../test-support/http.js'
import type { EventStream, ServerEvent } from '../../../test-support/http.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { listen, onCleanup } from '../../../test-support/servers.js'
import { sleep, waitFor } from '../../../test-support/wait.js'

/** A status poll slow enough that no poll but the first happens during a test. */
const NO_POLLING = { statusEveryMs: 60_000 }

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

/**
 * A sidecar whose event stream the test writes by hand (`write`), whose /status says ready at the
 * version in `said` (after `statusDelayMs`), and whose stream requests are answered after
 * `streamDelayMs` with `streamStatus` (200: an event stream; else a JSON error).
 */
async function handSidecar(
  options: {
    statusDelayMs?: number
    streamDelayMs?: number
    streamStatus?: number
    /** What `/config/?redact` answers (404 without). */
    config?: { body: string; etag: string }
  } = {},
) {
  const streams: ServerResponse[] = []
  const open = new Set<ServerResponse>()
  const counts = { streamRequests: 0, statusAsked: 0, statusServed: 0 }
  const said = { version: 's1' }
  const { port } = await listen((req, res) => {
    if (req.headers.accept?.includes('text/event-stream') === true) {
      counts.streamRequests++
      setTimeout(() => {
        if ((options.streamStatus ?? 200) !== 200) {
          res
            .writeHead(options.streamStatus ?? 503, { 'content-type': 'application/json' })
            .end('{"error":{"code":"ERR_CONFIG_NOT_READY"}}')
          return
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.flushHeaders()
        streams.push(res)
        open.add(res)
        res.once('close', () => open.delete(res))
      }, options.streamDelayMs ?? 0)
      return
    }
    if (req.url === '/status') {
      counts.statusAsked++
      setTimeout(() => {
        counts.statusServed++
        res.writeHead(200, { 'content-type': 'application/json' }).end(
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
    if (req.url === '/config/?redact' && options.config !== undefined) {
      res
        .writeHead(200, { 'content-type': 'application/json', etag: options.config.etag })
        .end(options.config.body)
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{}}')
  })
  return {
    port,
    streams,
    open,
    counts,
    said,
    write(text: string): void {
      const stream = streams.at(-1)
      if (stream === undefined) throw new Error('no stream open')
      stream.write(text)
    },
  }
}

describe('the relay, at its edges', () => {
  it('passes on a `changes` event whose data spans lines line by line, just before its config', async () => {
    const sidecar = await handSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await nextOf(page, 'status')
    sidecar.write('id: "e1"\nevent: config\ndata: {"a":1}\n\n')
    await nextOf(page, 'config')
    sidecar.write(
      'event: changes\ndata: {"added":["b"],\ndata: "removed":[],\ndata: "changed":["a"]}\n\n' +
        'id: "e2"\nevent: config\ndata: {"a":2,"b":3}\n\n',
    )
    const change = await page.next()
    expect(change).toEqual({
      event: 'changes',
      id: undefined,
      data: '{"added":["b"],\n"removed":[],\n"changed":["a"]}',
    })
    expect(await page.next()).toMatchObject({ event: 'config', id: '"e2"' })
    expect(page.text()).toContain(
      'event: changes\ndata: {"added":["b"],\ndata: "removed":[],\ndata: "changed":["a"]}\n\nid: "e2"\nevent: config\ndata: {"a":2,"b":3}\n\n',
    )
  })

  it('asks for the status once when a page joins', async () => {
    const sidecar = await handSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await nextOf(page, 'status')
    await sleep(200)
    expect(sidecar.counts.statusAsked).toBe(1)
  })

  it('asks for the status again after a slow one when a config came while it was on its way', async () => {
    const sidecar = await handSidecar({ statusDelayMs: 300 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() =>
      sidecar.streams.length === 1 && sidecar.counts.statusAsked === 1 ? true : undefined,
    )
    // A config while the first status is on its way: the version moves with it, so the relay
    // asks again once that status is back (and not before).
    sidecar.write('id: "e1"\nevent: config\ndata: {"a":1}\n\n')
    await waitFor(() => (sidecar.counts.statusServed === 1 ? true : undefined))
    sidecar.said.version = 's2'
    const first = await nextOf(page, 'status')
    expect(JSON.parse(first.data)).toMatchObject({ version: 's1' })
    expect(await page.next()).toMatchObject({ event: 'config', id: '"e1"' })
    const second = await nextOf(page, 'status')
    expect(JSON.parse(second.data)).toMatchObject({ version: 's2' })
    expect(sidecar.counts.statusAsked).toBe(2)
  })

  it('gives a page that joins while a status is held and no config the status alone, then follows it', async () => {
    const sidecar = await handSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const first = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    const status = await nextOf(first, 'status')
    const second = await openEvents(app.url)
    expect(await second.next()).toEqual(status)
    await sleep(50)
    sidecar.write('id: "e1"\nevent: config\ndata: {"a":1}\n\n')
    for (const page of [first, second])
      expect(await page.next()).toEqual({ event: 'config', id: '"e1"', data: '{"a":1}' })
    expect(second.closed()).toBe(false)
    // Each config once: the status asked for with it sends it no second time.
    await waitFor(() => (sidecar.counts.statusServed === 2 ? true : undefined))
    await sleep(100)
    for (const page of [first, second])
      expect(page.events().filter((event) => event.event === 'config')).toHaveLength(1)
  })

  it('sends each config once to a page that joins after the last one left', async () => {
    const sidecar = await handSidecar()
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const before = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await nextOf(before, 'status')
    sidecar.write('id: "e1"\nevent: config\ndata: {"a":1}\n\n')
    await nextOf(before, 'config')
    before.close()
    await waitFor(() => (sidecar.open.size === 0 ? true : undefined))

    const later = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 2 ? true : undefined))
    await nextOf(later, 'status')
    sidecar.write('id: "e2"\nevent: config\ndata: {"a":2}\n\n')
    expect(await later.next()).toEqual({ event: 'config', id: '"e2"', data: '{"a":2}' })
    await waitFor(() => (sidecar.counts.statusServed === 4 ? true : undefined))
    await sleep(100)
    expect(later.events().filter((event) => event.event === 'config')).toHaveLength(1)
    // Nothing heard before the last page left is listed.
    expect(await (await fetch(`${app.url}/`)).text()).toContain('No change yet')
  })

  it('asks the sidecar for the first paint while it follows the sidecar but holds no config yet', async () => {
    const sidecar = await handSidecar({ config: { body: '{"asked":"now"}', etag: '"c1"' } })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await nextOf(page, 'status')
    const html = await (await fetch(`${app.url}/`)).text()
    expect(html).toContain('&quot;asked&quot;: &quot;now&quot;')
    expect(html).toContain('<dd id="etag">&quot;c1&quot;</dd>')
  })

  it('does not try the stream again once the last page left while a connect was failing', async () => {
    const sidecar = await handSidecar({ streamDelayMs: 300, streamStatus: 503 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.counts.streamRequests === 1 ? true : undefined))
    page.close()
    // The refusal comes after the page left; a retry would come a second after it.
    await sleep(1800)
    expect(sidecar.counts.streamRequests).toBe(1)
  })

  it('lets go of a stream that opens after the last page left', async () => {
    const sidecar = await handSidecar({ streamDelayMs: 300 })
    const app = await startInProcessApp(sidecar.port, { page: NO_POLLING })
    const page = await openEvents(app.url)
    await waitFor(() => (sidecar.counts.streamRequests === 1 ? true : undefined))
    page.close()
    await waitFor(() => (sidecar.streams.length === 1 ? true : undefined))
    await waitFor(() => (sidecar.open.size === 0 ? true : undefined), {
      what: 'the stream opened after the last page left to be closed',
    })
  })
})
