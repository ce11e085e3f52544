// The refresh loop's states, driven through a scripted source (our own ConfigSource interface) and
// fake timers: first fetch, unchanged, changed, failure and backoff, recovery, stale, max staleness,
// the poll schedule (first-poll splay, then the interval ±10%), and a snapshot restored in an
// outage keeping its age.
import { utimes, writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { silentLogger } from '@sample/shared'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { SidecarError } from '../../src/support/errors.js'
import { createRefresher } from '../../src/refresh/refresher.js'
import type { RefreshOutcome, Refresher, RefresherOptions } from '../../src/refresh/refresher.js'
import { createSnapshotStore } from '../../src/state/snapshot.js'
import type { SnapshotStore } from '../../src/state/snapshot.js'
import type { ConfigSource, FetchResult } from '../../src/sources/source.js'
import { createConfigStore } from '../../src/state/store.js'

const INTERVAL = 10_000

type Step = Record<string, unknown> | 'unchanged' | SidecarError

/** A source that answers each fetch with the next step of a script (the last one repeats). */
function scriptedSource(steps: Step[]): ConfigSource & { readonly fetches: number } {
  let fetches = 0
  return {
    display: 'test:scripted',
    kind: 'http',
    get fetches() {
      return fetches
    },
    fetch(): Promise<FetchResult> {
      const step = steps[Math.min(fetches, steps.length - 1)]!
      fetches += 1
      if (step instanceof SidecarError) return Promise.reject(step)
      if (step === 'unchanged') return Promise.resolve({ kind: 'unchanged', validators: {} })
      return Promise.resolve({
        kind: 'changed',
        raw: {
          documents: [{ body: Buffer.from(JSON.stringify(step)), contentType: 'application/json' }],
        },
        validators: { etag: `"${fetches}"` },
      })
    },
  }
}

const down = (): SidecarError =>
  new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'the upstream does not answer')

function setup(
  steps: Step[],
  options: Partial<RefresherOptions> & { maxStalenessMs?: number } = {},
): {
  source: ReturnType<typeof scriptedSource>
  store: ReturnType<typeof createConfigStore>
  refresher: ReturnType<typeof createRefresher>
  outcomes: RefreshOutcome[]
} {
  const source = scriptedSource(steps)
  const store = createConfigStore({ maxStalenessMs: options.maxStalenessMs })
  const outcomes: RefreshOutcome[] = []
  const refresher = over(source, {
    store,
    onOutcome: (outcome) => outcomes.push(outcome),
    ...options,
  })
  return { source, store, refresher, outcomes }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('the refresh loop', () => {
  it('serves the first fetch, then polls: unchanged keeps it, changed replaces it', async () => {
    const { source, store, refresher, outcomes } = setup([{ n: 1 }, 'unchanged', { n: 2 }])
    expect((await refresher.start()).outcome).toBe('changed')
    expect(store.current()?.document).toEqual({ n: 1 })
    expect(store.isStale()).toBe(false)

    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    expect(source.fetches).toBe(2)
    expect(outcomes.at(-1)?.outcome).toBe('unchanged')
    expect(store.current()?.document).toEqual({ n: 1 })

    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    expect(source.fetches).toBe(3)
    expect(outcomes.at(-1)?.outcome).toBe('changed')
    expect(store.current()?.document).toEqual({ n: 2 })
    await refresher.stop()
  })

  it('keeps the good config on failure, marks it stale, backs off, and recovers', async () => {
    const { source, store, refresher, outcomes } = setup([
      { n: 1 },
      down(),
      down(),
      down(),
      'unchanged',
    ])
    await refresher.start()
    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    expect(source.fetches).toBe(2)
    expect(outcomes.at(-1)).toMatchObject({
      outcome: 'failed',
      error: { code: 'ERR_UPSTREAM_UNAVAILABLE' },
    })
    expect(store.current()?.document).toEqual({ n: 1 })
    expect(store.isStale()).toBe(true)
    expect(store.status().lastFailure?.code).toBe('ERR_UPSTREAM_UNAVAILABLE')

    // Backoff: 1 s, then 2 s, then 4 s (random 0.5 → three quarters of each step).
    const retryAt = refresher.nextRefreshAt()! - Date.now()
    expect(retryAt).toBe(750)
    await vi.advanceTimersByTimeAsync(750)
    expect(source.fetches).toBe(3)
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(1500)
    await vi.advanceTimersByTimeAsync(1500)
    expect(source.fetches).toBe(4)
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(3000)
    await vi.advanceTimersByTimeAsync(3000)
    expect(source.fetches).toBe(5)
    expect(outcomes.at(-1)?.outcome).toBe('unchanged')
    expect(store.isStale()).toBe(false)
    // Recovered: back to the interval.
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(INTERVAL)
    await refresher.stop()
  })

  it('answers too stale once CONFIG_MAX_STALENESS passes without a success', async () => {
    const { store, refresher } = setup([{ n: 1 }, down()], { maxStalenessMs: 60_000 })
    await refresher.start()
    await vi.advanceTimersByTimeAsync(59_000)
    expect(store.tooStale()).toBe(false)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(store.tooStale()).toBe(true)
    expect(store.current()?.document).toEqual({ n: 1 })
    await refresher.stop()
  })

  it('puts the first poll at a uniformly random point of one interval, then the interval ±10%', async () => {
    let draw = 0
    const draws = [0.25, 0, 0.999_999]
    const { source, refresher } = setup([{ n: 1 }, 'unchanged'], {
      random: () => draws[Math.min(draw++, draws.length - 1)]!,
    })
    await refresher.start()
    // The splay: a quarter of the interval, not 0.9–1.1 intervals.
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(INTERVAL * 0.25)
    await vi.advanceTimersByTimeAsync(INTERVAL * 0.25)
    expect(source.fetches).toBe(2)
    // Then the interval with ±10% jitter: random 0 → 0.9 intervals, random ~1 → 1.1 intervals.
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(INTERVAL * 0.9)
    await vi.advanceTimersByTimeAsync(INTERVAL * 0.9)
    expect(source.fetches).toBe(3)
    expect(refresher.nextRefreshAt()! - Date.now()).toBe(INTERVAL * 1.1)
    await refresher.stop()
  })

  it('records the outcome (metrics) before the new config is published', async () => {
    const { store, refresher, outcomes } = setup([{ n: 1 }])
    const seenAtPublish: number[] = []
    store.subscribe(() => seenAtPublish.push(outcomes.length))
    await refresher.start()
    expect(seenAtPublish).toEqual([1])
    await refresher.stop()
  })
})

describe('a snapshot restored in an outage', () => {
  it('keeps the age it had: Age and CONFIG_MAX_STALENESS count from the last confirmation', async () => {
    const dir = await tempDir()
    try {
      const snapshots = createSnapshotStore(dir.path, 'test:scripted')
      await snapshots.write(
        { documents: [{ body: Buffer.from('{"n":1}'), contentType: 'application/json' }] },
        {},
        'v1',
      )
      const hourAgo = new Date(Date.now() - 3_600_000)
      await utimes(snapshots.path, hourAgo, hourAgo)

      const { store, refresher } = setup([down()], { snapshots, maxStalenessMs: 600_000 })
      await refresher.restore()
      expect(store.current()?.document).toEqual({ n: 1 })
      expect(store.status().fromSnapshot).toBe(true)
      expect(store.ageMs()).toBeGreaterThanOrEqual(3_600_000)
      expect(store.tooStale()).toBe(true)
      await refresher.start()
      expect(store.ageMs()).toBeGreaterThanOrEqual(3_600_000)
      await refresher.stop()
    } finally {
      await dir.remove()
    }
  })

  it('counts a modification time in the future as old (a planted snapshot cannot look fresh)', async () => {
    const dir = await tempDir()
    try {
      const snapshots = createSnapshotStore(dir.path, 'test:scripted')
      await snapshots.write(
        { documents: [{ body: Buffer.from('{"n":1}'), contentType: 'application/json' }] },
        {},
        'v1',
      )
      const tomorrow = new Date(Date.now() + 86_400_000)
      await utimes(snapshots.path, tomorrow, tomorrow)
      const { store, refresher } = setup([down()], { snapshots, maxStalenessMs: 600_000 })
      await refresher.restore()
      expect(store.current()?.document).toEqual({ n: 1 })
      expect(store.tooStale()).toBe(true)
      await refresher.stop()
    } finally {
      await dir.remove()
    }
  })
})

/** A source whose fetches wait until the test releases them, answering a fresh document each. */
function gatedSource(): ConfigSource & {
  readonly fetches: number
  release(): void
  watchEvent(): void
} {
  let fetches = 0
  const waiting: (() => void)[] = []
  let onChange: (() => void) | undefined
  return {
    display: 'test:gated',
    kind: 'file',
    get fetches() {
      return fetches
    },
    release() {
      waiting.shift()?.()
    },
    watchEvent() {
      onChange?.()
    },
    fetch(): Promise<FetchResult> {
      fetches += 1
      const n = fetches
      return new Promise((resolve) =>
        waiting.push(() =>
          resolve({
            kind: 'changed',
            raw: { documents: [{ body: Buffer.from(`{"n":${n}}`), contentType: undefined }] },
            validators: {},
          }),
        ),
      )
    },
    watch(change) {
      onChange = change
      return Promise.resolve(() => Promise.resolve())
    },
  }
}

/** A refresher over a source with the defaults of these tests (fake time, random 0.5, no snapshot). */
function over(source: ConfigSource, options: Partial<RefresherOptions> = {}): Refresher {
  return createRefresher({
    source,
    store: createConfigStore(),
    decryptor: undefined,
    snapshots: undefined,
    intervalMs: INTERVAL,
    logger: silentLogger,
    random: () => 0.5,
    ...options,
  })
}

describe('refreshes that overlap', () => {
  it('coalesces file events during a fetch into one more refresh; a poll joins the fetch', async () => {
    const source = gatedSource()
    const store = createConfigStore()
    const refresher = over(source, {
      store,
    })
    const first = refresher.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(source.fetches).toBe(1)
    // While the fetch runs, nextRefreshAt is now, and joined refreshes share it.
    expect(refresher.nextRefreshAt()).toBe(Date.now())
    const joined = refresher.refresh('poll')
    source.watchEvent()
    source.watchEvent()
    source.release()
    expect((await first).outcome).toBe('changed')
    expect(await joined).toBe(await first)
    await vi.advanceTimersByTimeAsync(0)
    // Two events during the fetch: exactly one refresh after it, of reason 'watch'.
    expect(source.fetches).toBe(2)
    source.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.current()?.document).toEqual({ n: 2 })
    expect(source.fetches).toBe(2)
    await refresher.stop()
  })

  it('answers a manual refresh that arrives after the source answered with a fresh fetch', async () => {
    const source = gatedSource()
    const store = createConfigStore()
    let publishedBeforeManual = false
    const refresher = over(source, {
      store,
      // Called once the source has answered (the fetch is over, the publish not yet done).
      onOutcome: () => {
        if (!publishedBeforeManual) {
          publishedBeforeManual = true
          manual = refresher.refresh('manual')
        }
      },
    })
    let manual: Promise<RefreshOutcome> | undefined
    const first = refresher.start()
    await vi.advanceTimersByTimeAsync(0)
    source.release()
    await first
    await vi.advanceTimersByTimeAsync(0)
    // The manual refresh came too late to share the first fetch: it gets a fetch of its own.
    expect(source.fetches).toBe(2)
    source.release()
    expect((await manual!).reason).toBe('manual')
    expect(store.current()?.document).toEqual({ n: 2 })
    await refresher.stop()
  })

  it('polls with reason poll, and polls no more once stopped', async () => {
    const { source, refresher, outcomes } = setup([{ n: 1 }, 'unchanged'])
    await refresher.start()
    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    expect(outcomes.map((outcome) => outcome.reason)).toEqual(['start', 'poll'])
    await refresher.stop()
    const fetched = source.fetches
    await vi.advanceTimersByTimeAsync(INTERVAL * 5)
    expect(source.fetches).toBe(fetched)
  })

  it('schedules nothing after a stop that came during a fetch', async () => {
    const source = gatedSource()
    const refresher = over(source)
    void refresher.start()
    await vi.advanceTimersByTimeAsync(0)
    const stopped = refresher.stop()
    source.release()
    await stopped
    await vi.advanceTimersByTimeAsync(INTERVAL * 5)
    expect(source.fetches).toBe(1)
  })
})

describe('what the refresh loop logs', () => {
  it('names the failure, the recovery and the config served, never a value', async () => {
    const { logger, lines } = recordingLogger()
    const { refresher } = setup([{ secretish: 'value-not-logged' }, down(), 'unchanged'], {
      logger,
    })
    await refresher.start()
    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    await vi.advanceTimersByTimeAsync(refresher.nextRefreshAt()! - Date.now())
    const byMessage = (message: string) => lines.find((line) => line['msg'] === message)
    expect(byMessage('config changed')).toMatchObject({ level: 'info', source: 'test:scripted' })
    expect(byMessage('refresh failed; the last good config stays served')).toMatchObject({
      level: 'warn',
      source: 'test:scripted',
      code: 'ERR_UPSTREAM_UNAVAILABLE',
      reason: 'the upstream does not answer',
      failures: 1,
      servingVersion: expect.any(String),
    })
    expect(byMessage('the source answers again; the config is fresh')).toMatchObject({
      level: 'info',
      failedRefreshes: 1,
      version: expect.any(String),
    })
    expect(JSON.stringify(lines)).not.toContain('value-not-logged')
    await refresher.stop()
  })

  it('says which snapshot it serves, and why one cannot be used', async () => {
    const dir = await tempDir()
    try {
      const snapshots = createSnapshotStore(dir.path, 'test:scripted')
      await snapshots.write(
        { documents: [{ body: Buffer.from('{"n":1}'), contentType: 'application/json' }] },
        {},
        'v-snap',
      )
      const good = recordingLogger()
      const restored = setup([down()], { snapshots, logger: good.logger })
      await restored.refresher.restore()
      expect(
        good.lines.find(
          (line) => line['msg'] === 'serving the last-known-good snapshot until the source answers',
        ),
      ).toMatchObject({ path: snapshots.path, version: 'v-snap', confirmedAt: expect.any(String) })

      await snapshots.write(
        { documents: [{ body: Buffer.from('not: [valid'), contentType: 'application/yaml' }] },
        {},
        'v-bad',
      )
      const bad = recordingLogger()
      const refused = setup([down()], { snapshots, logger: bad.logger })
      await refused.refresher.restore()
      expect(refused.store.current()).toBeUndefined()
      expect(bad.lines.find((line) => line['msg'] === 'the snapshot cannot be used')).toMatchObject(
        {
          level: 'warn',
          path: snapshots.path,
          code: 'ERR_DOCUMENT_INVALID',
          reason: expect.stringContaining('snapshot of test:scripted'),
        },
      )
    } finally {
      await dir.remove()
    }
  })
})

describe('a snapshot file that is not a snapshot', () => {
  it('is reported as ERR_SNAPSHOT_UNREADABLE and the sidecar starts without it', async () => {
    const dir = await tempDir()
    try {
      const snapshots = createSnapshotStore(dir.path, 'test:scripted')
      await writeFile(snapshots.path, 'not json at all')
      const { logger, lines } = recordingLogger()
      const { store, refresher } = setup([down()], { snapshots, logger })
      await refresher.restore()
      expect(store.current()).toBeUndefined()
      expect(lines.find((line) => line['msg'] === 'the snapshot cannot be used')).toMatchObject({
        code: 'ERR_SNAPSHOT_UNREADABLE',
        reason: `snapshot ${snapshots.path} is not JSON`,
      })
    } finally {
      await dir.remove()
    }
  })
})

describe('the edges of a refresh', () => {
  it('answers unchanged for a first answer of "not modified", and for the same bytes again', async () => {
    const { logger, lines } = recordingLogger()
    const first = setup(['unchanged'], { logger })
    const outcome = await first.refresher.start()
    expect(outcome).toMatchObject({ outcome: 'unchanged', version: undefined, durationMs: 0 })
    await first.refresher.stop()

    const again = setup([{ n: 1 }, { n: 1 }], { logger })
    expect((await again.refresher.start()).outcome).toBe('changed')
    const changes = lines.filter((line) => line['msg'] === 'config changed').length
    await vi.advanceTimersByTimeAsync(again.refresher.nextRefreshAt()! - Date.now())
    expect(again.outcomes.at(-1)).toMatchObject({ outcome: 'unchanged', reason: 'poll' })
    expect(lines.filter((line) => line['msg'] === 'config changed')).toHaveLength(changes)
    await again.refresher.stop()
  })

  it('lets a poll that comes while the answer is being prepared join it', async () => {
    const source = gatedSource()
    let joined: Promise<RefreshOutcome> | undefined
    const refresher = over(source, {
      onOutcome: () => {
        joined ??= refresher.refresh('poll')
      },
    })
    const first = refresher.start()
    await vi.advanceTimersByTimeAsync(0)
    source.release()
    const outcome = await first
    expect(joined).toBeDefined()
    expect(await joined).toBe(outcome)
    await vi.advanceTimersByTimeAsync(0)
    expect(source.fetches).toBe(1)
    await refresher.stop()
  })

  it('runs the refresh after coalesced file events with reason watch', async () => {
    const source = gatedSource()
    const reasons: string[] = []
    const refresher = over(source, {
      onOutcome: (outcome) => reasons.push(outcome.reason),
    })
    void refresher.start()
    await vi.advanceTimersByTimeAsync(0)
    source.watchEvent()
    source.release()
    await vi.advanceTimersByTimeAsync(0)
    source.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(reasons).toEqual(['start', 'watch'])
    await refresher.stop()
  })

  it('logs a watcher error', async () => {
    const { logger, lines } = recordingLogger()
    const source: ConfigSource = {
      ...scriptedSource([{ n: 1 }]),
      watch(_change, onError) {
        onError(new Error('inotify limit reached'))
        return Promise.resolve(() => Promise.resolve())
      },
    }
    const refresher = over(source, {
      logger,
    })
    await refresher.start()
    expect(lines.find((line) => line['msg'] === 'file watcher error')).toMatchObject({
      level: 'warn',
      reason: 'inotify limit reached',
    })
    await refresher.stop()
  })

  it('restores nothing, quietly, without a snapshot store or a snapshot', async () => {
    const none = setup([down()])
    await expect(none.refresher.restore()).resolves.toBeUndefined()
    const dir = await tempDir()
    try {
      const { logger, lines } = recordingLogger()
      const empty = setup([down()], { snapshots: createSnapshotStore(dir.path, 'x'), logger })
      await empty.refresher.restore()
      expect(empty.store.current()).toBeUndefined()
      expect(lines).toEqual([])
    } finally {
      await dir.remove()
    }
  })

  it('removes the temp files a killed writer left, and says how many', async () => {
    const dir = await tempDir()
    try {
      const snapshots = createSnapshotStore(dir.path, 'test:scripted')
      // A pid that does not run: its temp file is left over from a crash.
      await writeFile(`${snapshots.path}.999999.abcd1234.tmp`, 'half')
      const { logger, lines } = recordingLogger()
      const { refresher } = setup([down()], { snapshots, logger })
      await refresher.restore()
      expect(
        lines.find((line) => line['msg'] === 'removed temp files an earlier run left mid-write'),
      ).toMatchObject({ removed: 1, path: snapshots.path })
      const quiet = recordingLogger()
      await setup([down()], { snapshots, logger: quiet.logger }).refresher.restore()
      expect(quiet.lines.some((line) => String(line['msg']).startsWith('removed temp'))).toBe(false)
    } finally {
      await dir.remove()
    }
  })
})

describe('a snapshot that cannot be written', () => {
  it('is logged, and the new config is served all the same', async () => {
    const { logger, lines } = recordingLogger()
    const failing: SnapshotStore = {
      path: '/read-only/snapshot.json',
      read: () => Promise.resolve(undefined),
      write: () => Promise.reject(new Error('EROFS: read-only file system')),
      touch: () => Promise.resolve(),
      removeStaleTemps: () => Promise.resolve(0),
    }
    const { store, refresher } = setup([{ n: 1 }], { snapshots: failing, logger })
    expect((await refresher.start()).outcome).toBe('changed')
    expect(store.current()?.document).toEqual({ n: 1 })
    expect(lines.find((line) => line['msg'] === 'could not write the snapshot')).toMatchObject({
      level: 'warn',
      path: '/read-only/snapshot.json',
      reason: 'EROFS: read-only file system',
    })
    await refresher.stop()
  })
})

describe('a version unfit for a header', () => {
  it('is replaced by the hash of the fetched bytes, and the event is logged', async () => {
    const { logger, lines } = recordingLogger()
    const source: ConfigSource = {
      display: 'test:bad-version',
      kind: 'http',
      fetch: () =>
        Promise.resolve({
          kind: 'changed',
          raw: { documents: [{ body: Buffer.from('{"n":1}'), contentType: 'application/json' }] },
          validators: {},
          version: 'v1\r\nSet-Cookie: x=1',
        }),
    }
    const store = createConfigStore()
    const refresher = over(source, {
      store,
      logger,
    })
    await refresher.start()
    expect(store.current()?.version).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(lines.find((line) => line['msg'] === 'upstream document notice')).toMatchObject({
      level: 'warn',
      source: 'test:bad-version',
      notice: expect.any(String),
    })
    await refresher.stop()
  })
})
