// Upstream cost of a fleet: many simulated sidecars polling the dev config server. Each simulated
// sidecar is the sidecar's own refresh loop (`createRefresher` and its store, from the built
// packages/config-sidecar/dist), so the schedule is the real one: the first fetch, the first poll
// splayed over one interval, then every interval ±10%, each delay counted from the end of the
// fetch before it, with the real backoff after a failure. Only the source is the bench's: a
// conditional GET (If-None-Match) over one shared keep-alive agent, timed as it leaves. Reports
// requests per second, body bytes per unchanged poll, and how evenly the polls spread over time.
import { Agent, request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sleep, startNode, waitForStatus } from './lib/proc.mjs'
import { fixed, table, verdict } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sidecarDist = join(root, 'packages', 'config-sidecar', 'dist')
/** The target: from the second interval on, no 100 ms bucket holds more than twice the mean. */
const MAX_OVER_MEAN = 2

function get(agent, url, etag, signal) {
  return new Promise((resolve) => {
    const headers = etag === undefined ? {} : { 'if-none-match': etag }
    const req = request(url, { agent, headers, signal }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          etag: res.headers.etag,
          type: res.headers['content-type'],
          body: Buffer.concat(chunks),
        }),
      )
      res.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }))
    })
    req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }))
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

async function simulate({ url, sidecars, intervalMs, intervals, start, refresh }) {
  const { createRefresher, createConfigStore, silentLogger } = refresh
  const agent = new Agent({ keepAlive: true, maxSockets: 128 })
  const times = []
  const counts = { unchanged: 0, unchangedBytes: 0, changed: 0, failed: 0 }
  const t0 = performance.now()
  const end = t0 + intervalMs * intervals
  /** A source of the sidecar's kind `http`: one conditional GET, counted and timed here. */
  const source = {
    display: url,
    kind: 'http',
    async fetch(validators, signal) {
      if (performance.now() >= end) throw new Error('the run is over')
      times.push(performance.now() - t0)
      const answer = await get(agent, url, validators?.etag, signal)
      if (answer.status === 304) {
        counts.unchanged += 1
        counts.unchangedBytes += answer.body.length
        return { kind: 'unchanged', validators: validators ?? {} }
      }
      if (answer.status === 200) {
        counts.changed += 1
        return {
          kind: 'changed',
          raw: { documents: [{ body: answer.body, contentType: answer.type }] },
          validators: { etag: answer.etag },
        }
      }
      // A fetch the end of the run aborted is no failure of the upstream.
      if (!signal.aborted) counts.failed += 1
      throw Object.assign(new Error(`upstream answered ${answer.status}`), {
        code: 'ERR_UPSTREAM_UNAVAILABLE',
      })
    },
  }
  // When each poll is due, as the refresher planned it (`nextRefreshAt()`, read once it has
  // scheduled the poll after an outcome): the schedule a fleet of separate processes follows. The
  // times the polls left this one process also carry its own delays (1000 loops share one event
  // loop, on a shared machine); both are reported.
  const dateT0 = Date.now()
  const planned = []
  const refreshers = Array.from({ length: sidecars }, () => {
    const refresher = createRefresher({
      source,
      store: createConfigStore(),
      decryptor: undefined,
      snapshots: undefined,
      intervalMs,
      logger: silentLogger,
      onOutcome: () =>
        setImmediate(() => {
          const at = refresher.nextRefreshAt()
          if (at !== undefined) planned.push(at - dateT0)
        }),
    })
    return refresher
  })
  // Each sidecar starts (its first fetch) at t0, or at a random point of the first interval.
  const starting = refreshers.map(async (refresher) => {
    const delay = start === 'spread' ? Math.random() * intervalMs : 0
    planned.push(delay)
    await sleep(delay)
    await refresher.start()
  })
  await sleep(Math.max(0, end - performance.now()))
  await Promise.all(starting)
  await Promise.all(refreshers.map((refresher) => refresher.stop()))
  agent.destroy()
  const total = counts.unchanged + counts.changed + counts.failed
  // In 100 ms buckets: the first interval, then from the second interval on (the whole span, and
  // the worst interval alone).
  const fromSecond = (at) => {
    const perInterval = Array.from({ length: intervals - 1 }, (_, i) =>
      spread(at, intervalMs * (i + 1), intervalMs * (i + 2), 100),
    )
    return {
      whole: spread(at, intervalMs, intervalMs * intervals, 100),
      worst: perInterval.reduce((worst, one) =>
        one.maxOverMean > worst.maxOverMean ? one : worst,
      ),
    }
  }
  return {
    rps: total / ((intervalMs * intervals) / 1000),
    ...counts,
    bytesPerUnchanged: counts.unchanged === 0 ? 0 : counts.unchangedBytes / counts.unchanged,
    early: spread(planned, 0, intervalMs, 100),
    planned: fromSecond(planned),
    sent: fromSecond(times),
  }
}

export async function runFleetBench({ smoke, print }) {
  const refresh = {
    ...(await import(join(sidecarDist, 'refresh', 'refresher.js'))),
    ...(await import(join(sidecarDist, 'state', 'store.js'))),
    ...(await import(join(sidecarDist, 'support', 'logger.js'))),
  }
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
      const result = await simulate({ url, sidecars, intervalMs, intervals, start, refresh })
      const { planned, sent } = result
      const ok = Math.max(planned.whole.maxOverMean, planned.worst.maxOverMean) <= MAX_OVER_MEAN
      rows.push([
        start === 'spread' ? 'start spread over one interval' : 'all start at once (fleet restart)',
        fixed(result.rps, 0),
        `${fixed((sidecars * 1000) / intervalMs, 0)}`,
        `${result.changed} / ${result.unchanged} / ${result.failed}`,
        fixed(result.bytesPerUnchanged, 0),
        `${fixed(result.early.maxOverMean, 1)} / ${fixed(result.early.cv, 2)}`,
        `**${fixed(planned.whole.maxOverMean, 1)}** / ${fixed(planned.whole.cv, 2)}; worst interval ${fixed(planned.worst.maxOverMean, 1)}`,
        `${verdict(ok)} ≤ ${MAX_OVER_MEAN}`,
        `${fixed(sent.whole.maxOverMean, 1)} / ${fixed(sent.whole.cv, 2)}; worst interval ${fixed(sent.worst.maxOverMean, 1)}`,
      ])
    }
    print(
      `## 7. Upstream cost of a fleet: ${sidecars} simulated sidecars, ${intervalMs / 1000} s interval, ${intervals} intervals`,
    )
    print()
    print(
      'Each simulated sidecar runs the sidecar\'s own refresh loop (`createRefresher` from the built `packages/config-sidecar/dist`): first fetch, first poll splayed over one interval, then every interval ±10%, each delay counted from the end of the fetch before it. Counts per 100 ms bucket, max/mean and CV. "Planned" is when each poll was due (the refresher\'s `nextRefreshAt()`), what a fleet of separate processes follows; "as sent" adds this one process\'s own delays (all the loops share one event loop on a shared machine).',
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
          'first interval (planned): max/mean, CV',
          `intervals 2–${intervals} as planned: max/mean, CV`,
          'target',
          `intervals 2–${intervals} as sent by the simulator`,
        ],
        rows,
      ),
    )
    print()
    print(
      'Every poll after the first is conditional (If-None-Match); the dev config server answers 304 with no body. The upstream rate is above N/interval because the splayed first poll comes after half an interval on average.',
    )
    print()
  } finally {
    await upstream.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
