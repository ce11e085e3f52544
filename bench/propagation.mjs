// Change propagation: how long from a change at the source to the change being served, streamed
// to an SSE client, and relayed to the demo page's event stream.
import { createServer } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import { sleep, startApp } from './lib/proc.mjs'
import { fixed, median, table } from './lib/stats.mjs'

/** Resolves with the next `event: config` block of an SSE response body. */
function eventStream(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  next.close = () => reader.cancel().catch(() => undefined)
  return next
  async function next() {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.includes('event: config')) return block
        continue
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('stream ended')
      buffer += value
    }
  }
}

export async function runPropagationBench({
  smoke,
  dir,
  config,
  startSidecar,
  print,
  token,
  track,
}) {
  const auth = { authorization: `Bearer ${token}` }
  const rounds = smoke ? 1 : 5
  const original = await readFile(config.file, 'utf8')
  let counter = 100
  const change = () =>
    writeFile(
      config.file,
      original.replace('"region": "eu-west-1"', `"region": "eu-west-${++counter}"`),
    )

  const sidecar = track(await startSidecar(dir, config))
  const app = track(await startApp({ cwd: dir, sidecarPort: sidecar.port, token }))
  const appPort = app.port

  const fileToServed = []
  for (let round = 0; round < rounds; round += 1) {
    const etag = (await fetch(`${sidecar.url}/config/`, { headers: auth })).headers.get('etag')
    const poll = fetch(`${sidecar.url}/config/?wait=30`, {
      headers: { ...auth, 'if-none-match': etag },
    })
    await sleep(50)
    const at = performance.now()
    await change()
    await (await poll).arrayBuffer()
    fileToServed.push(performance.now() - at)
    await sleep(100)
  }

  const sse = await fetch(`${sidecar.url}/config/`, {
    headers: { ...auth, accept: 'text/event-stream' },
  })
  const nextSse = eventStream(sse)
  await nextSse()
  const page = await fetch(`http://127.0.0.1:${appPort}/events`)
  const nextPage = eventStream(page)
  await nextPage()
  const toSse = []
  const toPage = []
  for (let round = 0; round < rounds; round += 1) {
    const at = performance.now()
    await change()
    await nextSse()
    toSse.push(performance.now() - at)
    await nextPage()
    toPage.push(performance.now() - at)
    await sleep(100)
  }
  await nextSse.close()
  await nextPage.close()
  await writeFile(config.file, original)

  // An HTTP upstream polled every second: a change waits for the next poll, on average half an interval.
  const intervalMs = 1000
  let document = { n: 0 }
  const upstream = createServer((req, res) => {
    const body = JSON.stringify(document)
    const etag = `"${document.n}"`
    if (req.headers['if-none-match'] === etag) res.writeHead(304, { etag }).end()
    else res.writeHead(200, { 'content-type': 'application/json', etag }).end(body)
  })
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const polled = track(
    await startSidecar(dir, config, {
      CONFIG_SOURCE: `http://127.0.0.1:${upstream.address().port}/app/default`,
      CONFIG_POLL_INTERVAL: `${intervalMs}ms`,
    }),
  )
  const upstreamToServed = []
  for (let round = 0; round < (smoke ? 1 : 8); round += 1) {
    const etag = (await fetch(`${polled.url}/config/`, { headers: auth })).headers.get('etag')
    const poll = fetch(`${polled.url}/config/?wait=30`, {
      headers: { ...auth, 'if-none-match': etag },
    })
    await sleep(Math.random() * intervalMs)
    const at = performance.now()
    document = { n: document.n + 1 }
    await (await poll).arrayBuffer()
    upstreamToServed.push(performance.now() - at)
  }
  await polled.stop()
  upstream.close()
  await app.stop()
  await sidecar.stop()

  print('## 6. Change propagation')
  print()
  print(
    table(
      ['change', 'to', 'median ms', 'max ms'],
      [
        [
          'file write',
          'served (long poll answered)',
          fixed(median(fileToServed), 0),
          fixed(Math.max(...fileToServed), 0),
        ],
        [
          'file write',
          'SSE client of the sidecar',
          fixed(median(toSse), 0),
          fixed(Math.max(...toSse), 0),
        ],
        [
          'file write',
          "demo page's event stream (app relay)",
          fixed(median(toPage), 0),
          fixed(Math.max(...toPage), 0),
        ],
        [
          `upstream change (poll every ${intervalMs} ms ±10%)`,
          'served',
          fixed(median(upstreamToServed), 0),
          fixed(Math.max(...upstreamToServed), 0),
        ],
      ],
    ),
  )
  print()
  print('A file change waits for the write to settle (60 ms stability window) before it is read.')
  print()
}
