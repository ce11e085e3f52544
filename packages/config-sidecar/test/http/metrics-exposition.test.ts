// The Prometheus exposition of `createMetrics`, read back with a Prometheus text parser: every
// family's name, TYPE and HELP, its labels and its values, before the first config, with a config,
// past CONFIG_MAX_STALENESS, and with Config as files (with and without CONFIG_ON_CHANGE). The store
// is the real one on a clock the test moves; the files' status is a stand-in the test sets.
import parsePrometheus from 'parse-prometheus-text-format'
import type { MetricFamily } from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../src/http/metrics.js'
import type { Metrics } from '../../src/http/metrics.js'
import type { ConfigFiles, ConfigFilesStatus } from '../../src/files/config-files.js'
import type { RefreshOutcome } from '../../src/refresh/refresher.js'
import { createServedConfig } from '../../src/state/served-config.js'
import { createConfigStore } from '../../src/state/store.js'
import { SidecarError } from '../../src/support/errors.js'

/** The families of one scrape, by name, in the order they are exposed. */
async function scrape(metrics: Metrics): Promise<Map<string, MetricFamily>> {
  const { contentType, text } = await metrics.render()
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  return new Map(parsePrometheus(text).map((family) => [family.name, family]))
}

/** The samples of one family: labels (none: `{}`) and the value as a number. */
function samples(
  families: Map<string, MetricFamily>,
  name: string,
): { labels: Record<string, string>; value: number }[] {
  const family = families.get(name)
  if (family === undefined) throw new Error(`no family ${name}`)
  return family.metrics.map((metric) => ({
    labels: metric.labels ?? {},
    value: Number(metric.value),
  }))
}

/** The one value of a family without labels. */
function single(families: Map<string, MetricFamily>, name: string): number {
  const all = samples(families, name)
  expect(all, name).toHaveLength(1)
  expect(all[0]!.labels, name).toEqual({})
  return all[0]!.value
}

/** The families every sidecar exposes, in order, with their TYPE and HELP. */
const CORE: readonly (readonly [string, MetricFamily['type'], string])[] = [
  [
    'config_sidecar_refresh_total',
    'COUNTER',
    'Refreshes of the config source by outcome (changed, unchanged, failed).',
  ],
  ['config_sidecar_refresh_errors_total', 'COUNTER', 'Failed refreshes by error code.'],
  [
    'config_sidecar_secrets_decrypted_total',
    'COUNTER',
    'Secrets decrypted (unchanged secrets are not decrypted again).',
  ],
  ['config_sidecar_http_requests_total', 'COUNTER', 'Requests answered, by route and status.'],
  [
    'config_sidecar_staleness_seconds',
    'GAUGE',
    'Seconds since the source last confirmed the served config (0 before any config).',
  ],
  [
    'config_sidecar_last_success_timestamp_seconds',
    'GAUGE',
    'When the source last confirmed the served config (Unix time; 0 before any config).',
  ],
  [
    'config_sidecar_stale',
    'GAUGE',
    '1 while the served config is marked stale (last refresh failed, or served from the snapshot).',
  ],
  ['config_sidecar_ready', 'GAUGE', '1 while /readyz answers 200.'],
  ['config_sidecar_secrets', 'GAUGE', 'Decrypted secrets in the served config.'],
  ['config_sidecar_open_streams', 'GAUGE', 'Open Server-Sent Events streams on /config/.'],
  ['config_sidecar_waiting_long_polls', 'GAUGE', 'Long polls on /config/ waiting for a change.'],
  ['config_sidecar_resident_memory_bytes', 'GAUGE', 'Resident set size of the sidecar process.'],
  [
    'config_sidecar_config_info',
    'GAUGE',
    'The served config: version and ETag as labels, value 1.',
  ],
]

/** The families of Config as files, after CORE. */
const FILE_WRITES = [
  'config_sidecar_file_writes_total',
  'COUNTER',
  'Writes of the CONFIG_WRITE_FILE files by outcome (written, failed, refused: the format cannot hold the config).',
] as const
const ON_CHANGE: readonly (readonly [string, MetricFamily['type'], string])[] = [
  [
    'config_sidecar_on_change_runs_total',
    'COUNTER',
    'Runs of CONFIG_ON_CHANGE by outcome (ok, failed: exit status not 0, timeout, error: could not start).',
  ],
  [
    'config_sidecar_on_change_last_exit_code',
    'GAUGE',
    'Exit status of the last CONFIG_ON_CHANGE run; -1 before the first run and when it did not exit by itself (timeout, signal, no start).',
  ],
  [
    'config_sidecar_on_change_last_run_timestamp_seconds',
    'GAUGE',
    'When the last CONFIG_ON_CHANGE run started (Unix time; 0 before the first run).',
  ],
  ['config_sidecar_on_change_running', 'GAUGE', '1 while CONFIG_ON_CHANGE runs.'],
]

function expectFamilies(
  families: Map<string, MetricFamily>,
  expected: readonly (readonly [string, MetricFamily['type'], string])[],
): void {
  expect([...families.keys()]).toEqual(expected.map(([name]) => name))
  for (const [name, type, help] of expected) {
    expect(families.get(name)?.type, name).toBe(type)
    expect(families.get(name)?.help, name).toBe(help)
  }
}

/** A clock the test moves. */
function clock(start: number): { now: () => number; advance: (ms: number) => void } {
  let at = start
  return { now: () => at, advance: (ms) => (at += ms) }
}

const refresh = (
  outcome: RefreshOutcome['outcome'],
  decrypted = 0,
  error?: SidecarError,
): RefreshOutcome => ({
  outcome,
  reason: 'poll',
  version: undefined,
  error,
  durationMs: 5,
  decrypted,
})

/** Config as files as the metrics read it: a status the test sets, nothing written. */
function filesWith(
  initial: ConfigFilesStatus,
): ConfigFiles & { set: (next: ConfigFilesStatus) => void } {
  let status = initial
  const files = {
    update: () => Promise.reject(new Error('not written in this test')),
    status: () => status,
    written: () => Promise.resolve(),
    settled: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    set(next: ConfigFilesStatus) {
      status = next
    },
  }
  return files
}

describe('the metrics before the first config', () => {
  it('expose every family with zeros, no config info and no requests', async () => {
    const time = clock(1_700_000_000_000)
    const families = await scrape(createMetrics(createConfigStore({ now: time.now })))
    expectFamilies(families, CORE)
    expect(samples(families, 'config_sidecar_refresh_total')).toEqual([
      { labels: { outcome: 'changed' }, value: 0 },
      { labels: { outcome: 'unchanged' }, value: 0 },
      { labels: { outcome: 'failed' }, value: 0 },
    ])
    expect(samples(families, 'config_sidecar_refresh_errors_total')).toEqual([])
    expect(single(families, 'config_sidecar_secrets_decrypted_total')).toBe(0)
    expect(samples(families, 'config_sidecar_http_requests_total')).toEqual([])
    for (const name of [
      'config_sidecar_staleness_seconds',
      'config_sidecar_last_success_timestamp_seconds',
      'config_sidecar_stale',
      'config_sidecar_ready',
      'config_sidecar_secrets',
      'config_sidecar_open_streams',
      'config_sidecar_waiting_long_polls',
    ])
      expect(single(families, name), name).toBe(0)
    expect(single(families, 'config_sidecar_resident_memory_bytes')).toBeGreaterThan(1024 * 1024)
    expect(samples(families, 'config_sidecar_config_info')).toEqual([])
  })
})

describe('the metrics of a served config', () => {
  it('expose the counts, the age, the secrets and the version info as they are', async () => {
    const time = clock(1_700_000_000_250)
    const store = createConfigStore({ now: time.now })
    const metrics = createMetrics(store)
    const served = createServedConfig({
      document: { db: { password: 'one', user: 'two' }, plain: 1 },
      secretPaths: [
        ['db', 'password'],
        ['db', 'user'],
      ],
      version: 'v-42',
    })
    store.accept(served)
    time.advance(2_500)

    metrics.recordRefresh(refresh('changed', 2))
    metrics.recordRefresh(refresh('unchanged'))
    const down = new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'the upstream is down')
    metrics.recordRefresh(refresh('failed', 0, down))
    metrics.recordRefresh(refresh('failed', 0, down))
    metrics.recordRefresh(
      refresh('failed', 0, new SidecarError('ERR_SOURCE_NOT_FOUND', 'no such file')),
    )
    for (let i = 0; i < 3; i += 1) metrics.countRequest('config', 200)
    metrics.countRequest('config', 304)
    metrics.countRequest('livez', 200)
    metrics.setWaiting(3, 5)

    const families = await scrape(metrics)
    expectFamilies(families, CORE)
    expect(samples(families, 'config_sidecar_refresh_total')).toEqual([
      { labels: { outcome: 'changed' }, value: 1 },
      { labels: { outcome: 'unchanged' }, value: 1 },
      { labels: { outcome: 'failed' }, value: 3 },
    ])
    expect(samples(families, 'config_sidecar_refresh_errors_total')).toEqual([
      { labels: { code: 'ERR_UPSTREAM_UNAVAILABLE' }, value: 2 },
      { labels: { code: 'ERR_SOURCE_NOT_FOUND' }, value: 1 },
    ])
    expect(single(families, 'config_sidecar_secrets_decrypted_total')).toBe(2)
    expect(samples(families, 'config_sidecar_http_requests_total')).toEqual([
      { labels: { route: 'config', status: '200' }, value: 3 },
      { labels: { route: 'config', status: '304' }, value: 1 },
      { labels: { route: 'livez', status: '200' }, value: 1 },
    ])
    expect(single(families, 'config_sidecar_staleness_seconds')).toBe(2.5)
    expect(single(families, 'config_sidecar_last_success_timestamp_seconds')).toBe(1_700_000_000.25)
    expect(single(families, 'config_sidecar_stale')).toBe(0)
    expect(single(families, 'config_sidecar_ready')).toBe(1)
    expect(single(families, 'config_sidecar_secrets')).toBe(2)
    expect(single(families, 'config_sidecar_open_streams')).toBe(3)
    expect(single(families, 'config_sidecar_waiting_long_polls')).toBe(5)
    // The ETag without its quotes: a label value, the same one the config answers carry.
    const info = samples(families, 'config_sidecar_config_info')
    expect(info).toHaveLength(1)
    expect(info[0]!.value).toBe(1)
    expect(info[0]!.labels['version']).toBe('v-42')
    expect(info[0]!.labels['etag']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(`"${info[0]!.labels['etag']!}"`).toBe(served.full.etag)
  })

  it('follow the store from one scrape to the next: stale, then confirmed, then a new config', async () => {
    const time = clock(1_700_000_000_000)
    const store = createConfigStore({ now: time.now })
    const metrics = createMetrics(store)
    store.accept(createServedConfig({ document: { n: 1 }, secretPaths: [], version: 'first' }))
    time.advance(4_000)
    store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'the upstream is down'))
    let families = await scrape(metrics)
    expect(single(families, 'config_sidecar_stale')).toBe(1)
    expect(single(families, 'config_sidecar_staleness_seconds')).toBe(4)
    expect(single(families, 'config_sidecar_ready')).toBe(1)
    expect(single(families, 'config_sidecar_secrets')).toBe(0)
    expect(samples(families, 'config_sidecar_config_info')[0]!.labels['version']).toBe('first')

    store.confirm()
    families = await scrape(metrics)
    expect(single(families, 'config_sidecar_stale')).toBe(0)
    expect(single(families, 'config_sidecar_staleness_seconds')).toBe(0)
    expect(single(families, 'config_sidecar_last_success_timestamp_seconds')).toBe(1_700_000_004)

    // One info sample, the new version's: the old one is gone.
    store.accept(createServedConfig({ document: { n: 2 }, secretPaths: [], version: 'second' }))
    metrics.countRequest('config', 200)
    metrics.countRequest('config', 200)
    metrics.setWaiting(0, 1)
    families = await scrape(metrics)
    expect(samples(families, 'config_sidecar_config_info').map((info) => info.labels)).toEqual([
      { version: 'second', etag: store.current()!.full.etag.slice(1, -1) },
    ])
    expect(samples(families, 'config_sidecar_http_requests_total')).toEqual([
      { labels: { route: 'config', status: '200' }, value: 2 },
    ])
    expect(single(families, 'config_sidecar_open_streams')).toBe(0)
    expect(single(families, 'config_sidecar_waiting_long_polls')).toBe(1)
  })

  it('say not ready past CONFIG_MAX_STALENESS, with the age in seconds', async () => {
    const time = clock(1_700_000_000_000)
    const store = createConfigStore({ now: time.now, maxStalenessMs: 60_000 })
    const metrics = createMetrics(store)
    store.accept(createServedConfig({ document: { n: 1 }, secretPaths: [], version: 'old' }))
    time.advance(59_000)
    expect(single(await scrape(metrics), 'config_sidecar_ready')).toBe(1)
    time.advance(2_000)
    const families = await scrape(metrics)
    expect(single(families, 'config_sidecar_ready')).toBe(0)
    expect(single(families, 'config_sidecar_staleness_seconds')).toBe(61)
    // Still served, so its version is still told.
    expect(samples(families, 'config_sidecar_config_info')[0]!.labels['version']).toBe('old')
  })
})

describe('the metrics of Config as files', () => {
  it('count the writes by outcome, and have no on-change families without CONFIG_ON_CHANGE', async () => {
    const files = filesWith({
      files: [],
      writes: { written: 4, failed: 1, refused: 2 },
      onChange: undefined,
    })
    const metrics = createMetrics(createConfigStore(), files)
    const families = await scrape(metrics)
    expectFamilies(families, [...CORE, FILE_WRITES])
    expect(samples(families, 'config_sidecar_file_writes_total')).toEqual([
      { labels: { outcome: 'written' }, value: 4 },
      { labels: { outcome: 'failed' }, value: 1 },
      { labels: { outcome: 'refused' }, value: 2 },
    ])
    expect(metrics.configFiles()).toBe(files.status())
  })

  it('tell the on-change runs, the last exit code and start, and whether one runs now', async () => {
    const none = { ok: 0, failed: 0, timeout: 0, error: 0 }
    const files = filesWith({
      files: [],
      writes: { written: 0, failed: 0, refused: 0 },
      onChange: { running: false, queued: false, runs: none, last: undefined },
    })
    const metrics = createMetrics(createConfigStore(), files)

    // Before the first run: -1 and 0.
    let families = await scrape(metrics)
    expectFamilies(families, [...CORE, FILE_WRITES, ...ON_CHANGE])
    expect(samples(families, 'config_sidecar_on_change_runs_total')).toEqual([
      { labels: { outcome: 'ok' }, value: 0 },
      { labels: { outcome: 'failed' }, value: 0 },
      { labels: { outcome: 'timeout' }, value: 0 },
      { labels: { outcome: 'error' }, value: 0 },
    ])
    expect(single(families, 'config_sidecar_on_change_last_exit_code')).toBe(-1)
    expect(single(families, 'config_sidecar_on_change_last_run_timestamp_seconds')).toBe(0)
    expect(single(families, 'config_sidecar_on_change_running')).toBe(0)

    // The first run is under way.
    files.set({
      files: [],
      writes: { written: 1, failed: 0, refused: 0 },
      onChange: { running: true, queued: false, runs: none, last: undefined },
    })
    families = await scrape(metrics)
    expect(single(families, 'config_sidecar_on_change_running')).toBe(1)
    expect(single(families, 'config_sidecar_on_change_last_exit_code')).toBe(-1)

    // It exited with 3.
    const failedRun = {
      version: 'v1',
      startedAt: 1_700_000_123_456,
      durationMs: 20,
      outcome: 'failed' as const,
      exitCode: 3,
      signal: null,
    }
    files.set({
      files: [],
      writes: { written: 1, failed: 0, refused: 0 },
      onChange: {
        running: false,
        queued: false,
        runs: { ...none, ok: 2, failed: 1 },
        last: failedRun,
      },
    })
    families = await scrape(metrics)
    expect(samples(families, 'config_sidecar_on_change_runs_total')).toEqual([
      { labels: { outcome: 'ok' }, value: 2 },
      { labels: { outcome: 'failed' }, value: 1 },
      { labels: { outcome: 'timeout' }, value: 0 },
      { labels: { outcome: 'error' }, value: 0 },
    ])
    expect(single(families, 'config_sidecar_on_change_last_exit_code')).toBe(3)
    expect(single(families, 'config_sidecar_on_change_last_run_timestamp_seconds')).toBe(
      1_700_000_123.456,
    )
    expect(single(families, 'config_sidecar_on_change_running')).toBe(0)

    // A run killed at its time limit has no exit status: -1 again.
    files.set({
      files: [],
      writes: { written: 1, failed: 0, refused: 0 },
      onChange: {
        running: false,
        queued: false,
        runs: { ...none, ok: 2, failed: 1, timeout: 1 },
        last: { ...failedRun, outcome: 'timeout', exitCode: null, signal: 'SIGKILL' },
      },
    })
    families = await scrape(metrics)
    expect(single(families, 'config_sidecar_on_change_last_exit_code')).toBe(-1)
  })
})
