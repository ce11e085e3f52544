// Upstream cost of a fleet: many simulated sidecars polling the dev config server with conditional
// requests and the sidecar's own delays (first-poll splay, then ±10% jitter). Reports requests per second, body bytes per
// unchanged poll, and how evenly the polls spread over time.
import { Agent, request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startNode, waitForStatus } from './lib/proc.mjs'
import { fixed, table } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function get(agent, url, etag) {
  return new Promise((resolve) => {
    const headers = etag === undefined ? {} : { 'if-none-match': etag }
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => (bytes += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode, etag: res.headers.etag, bytes }))
    })
    req.on('error', () => resolve({ status: 0, etag, bytes: 0 }))
    req.end()
  })
}

/** Per-bucket request counts → max/mean and coefficient of variation. */
function spread(times, fromMs, toMs, bucketMs) {
  const buckets = new Array(Math.max(1, Math.floor((toMs - fromMs) / bucketMs))).fill(0)
  for (const time of times) {
    const index = Math.floor((time - fromMs) / bucketMs)
    if (index >= 0 && index < buckets.length) buckets[index] += 1
  }
  const mean = buckets.reduce((sum, count) => sum + count, 0) / buckets.length
  const sd = Math.sqrt(
    buckets.reduce((sum, count) => sum + (count - mean) ** 2, 0) / buckets.length,
  )
  return { maxOverMean: Math.max(...buckets) / mean, cv: sd / mean }
}

async function simulate({
  url,
  sidecars,
  intervalMs,
  intervals,
  pollDelayMs,
  splayDelayMs,
  start,
}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 128 })
  const times = []
  let unchanged = 0
  let unchangedBytes = 0
  let changed = 0
  let failed = 0
  const t0 = performance.now()
  const end = t0 + intervalMs * intervals
  await Promise.all(
    Array.from({ length: sidecars }, async () => {
      let etag
      let polls = 0
      let next = t0 + (start === 'spread' ? Math.random() * intervalMs : 0)
      while (next < end) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
        times.push(performance.now() - t0)
        const answer = await get(agent, url, etag)
        if (answer.status === 304) {
          unchanged += 1
          unchangedBytes += answer.bytes
        } else if (answer.status === 200) {
          changed += 1
          etag = answer.etag
        } else failed += 1
        // As the sidecar's refresher: the first poll after the first fetch is splayed over one
        // interval, then every interval ±10%.
        next += polls++ === 0 ? splayDelayMs(intervalMs) : pollDelayMs(intervalMs)
      }
    }),
  )
  agent.destroy()
  const total = unchanged + changed + failed
  return {
    rps: total / ((intervalMs * intervals) / 1000),
    unchanged,
    changed,
    failed,
    bytesPerUnchanged: unchanged === 0 ? 0 : unchangedBytes / unchanged,
    // Steady state: after the first interval, in 100 ms buckets.
    early: spread(times, 0, intervalMs, 100),
    late: spread(times, intervalMs * (intervals - 1), intervalMs * intervals, 100),
  }
}

export async function runFleetBench({ smoke, print }) {
  const { pollDelayMs, splayDelayMs } = await import(
    join(root, 'packages', 'config-sidecar', 'dist', 'refresh', 'backoff.js')
  )
  const dir = await mkdtemp(join(tmpdir(), 'fleet-'))
  await writeFile(
    join(dir, 'application.yaml'),
    `greeting: hello\nlimits:\n  rpm: 600\n${'padding: '.padEnd(2000, 'x')}\n`,
  )
  const port = 20_000 + Math.floor(Math.random() * 10_000)
  const upstream = startNode([join(root, 'packages', 'dev-config-server', 'dist', 'main.js')], {
    env: { PORT: String(port), DEV_CONFIG_DIR: dir },
  })
  try {
    const url = `http://127.0.0.1:${port}/fleet-app/default`
    await waitForStatus(url)
    const sidecars = smoke ? 100 : 1000
    const intervalMs = smoke ? 1000 : 5000
    const intervals = smoke ? 2 : 4
    const rows = []
    for (const start of ['spread', 'together']) {
      const result = await simulate({
        url,
        sidecars,
        intervalMs,
        intervals,
        pollDelayMs,
        splayDelayMs,
        start,
      })
      rows.push([
        start === 'spread' ? 'start spread over one interval' : 'all start at once (fleet restart)',
        fixed(result.rps, 0),
        `${fixed((sidecars * 1000) / intervalMs, 0)}`,
        `${result.changed} / ${result.unchanged} / ${result.failed}`,
        fixed(result.bytesPerUnchanged, 0),
        `${fixed(result.early.maxOverMean, 1)} / ${fixed(result.early.cv, 2)}`,
        `${fixed(result.late.maxOverMean, 1)} / ${fixed(result.late.cv, 2)}`,
      ])
    }
    print(
      `## 7. Upstream cost of a fleet: ${sidecars} simulated sidecars, ${intervalMs / 1000} s interval, ${intervals} intervals`,
    )
    print()
    print(
      table(
        [
          'start',
          'upstream req/s',
          'expected N/interval',
          '200 / 304 / failed',
          'body bytes per unchanged poll',
          'first interval: max/mean, CV (100 ms buckets)',
          `interval ${intervals}: max/mean, CV`,
        ],
        rows,
      ),
    )
    print()
    print(
      'Every poll after the first is conditional (If-None-Match); the dev config server answers 304 with no body.',
    )
    print()
  } finally {
    await upstream.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
