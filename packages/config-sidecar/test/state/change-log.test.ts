// The change log behind `GET /changes?since=` and `lastChange` (src/state/change-log.ts), through
// the store that feeds it: which ETags it knows, the union of paths since one, the 32 changes it
// keeps, and a redacted view whose bytes stay the same while a secret changes.
import { describe, expect, it } from 'vitest'
import { KEPT_CHANGES } from '../../src/state/change-log.js'
import { createServedConfig } from '../../src/state/served-config.js'
import type { ServedConfig } from '../../src/state/served-config.js'
import { createConfigStore } from '../../src/state/store.js'

const config = (document: Record<string, unknown>, version: string, secrets: string[] = []) =>
  createServedConfig({ document, secretPaths: secrets.map((key) => [key]), version })

describe('the store and its change log', () => {
  it('records no change for the first config nor for the same bytes under another version', () => {
    const store = createConfigStore({ now: () => 7 })
    expect(store.accept(config({ a: 1 }, 'v1'))).toBeUndefined()
    expect(store.status().lastChange).toBeUndefined()
    expect(store.accept(config({ a: 1 }, 'v1-again'))).toBeUndefined()
    const change = store.accept(config({ a: 2, b: 1 }, 'v2'))
    expect(change).toMatchObject({
      at: 7,
      fromVersion: 'v1-again',
      toVersion: 'v2',
      added: ['b'],
      removed: [],
      changed: ['a'],
    })
    expect(store.status().lastChange).toBe(change)
  })

  it('answers every path named since an ETag, sorted, from any view that was served', () => {
    const store = createConfigStore()
    const first = config({ a: 1, s: 'one' }, 'v1', ['s'])
    store.accept(first)
    const redacted = first.redacted().etag
    store.changes.served(first, 'json+redact', redacted)
    store.accept(config({ a: 2, s: 'one' }, 'v2', ['s']))
    store.accept(config({ a: 2, s: 'one', c: true }, 'v3', ['s']))
    expect(store.changes.since(first.full.etag)).toEqual({ keys: ['a', 'c'], view: 'json' })
    expect(store.changes.since(redacted)).toEqual({ keys: ['a', 'c'], view: 'json+redact' })
    expect(store.changes.since(store.current()!.full.etag)).toEqual({ keys: [], view: 'json' })
    expect(store.changes.since('"never-served"')).toBeUndefined()
  })

  it('a redacted client whose bytes did not move while a secret changed hears of the secret too', () => {
    const store = createConfigStore()
    const first = config({ a: 1, s: 'old' }, 'v1', ['s'])
    store.accept(first)
    const secretChanged = config({ a: 1, s: 'new' }, 'v2', ['s'])
    store.accept(secretChanged)
    // The redacted view is the same bytes before and after: one ETag for both configs.
    expect(secretChanged.redacted().etag).toBe(first.redacted().etag)
    store.changes.served(secretChanged, 'json+redact', secretChanged.redacted().etag)
    store.changes.served(first, 'json+redact', first.redacted().etag)
    store.accept(config({ a: 2, s: 'new' }, 'v3', ['s']))
    expect(store.changes.since(first.redacted().etag)?.keys).toEqual(['a', 's'])
  })

  it('keeps the last 32 changes: an ETag from before them is unknown', () => {
    const store = createConfigStore()
    const configs: ServedConfig[] = []
    for (let n = 0; n <= KEPT_CHANGES + 1; n += 1) {
      configs.push(config({ n, [`k${n}`]: true }, `v${n}`))
      store.accept(configs[n]!)
    }
    // 33 changes made: the first config's ETag is gone, the second one's is the oldest kept.
    expect(store.changes.since(configs[0]!.full.etag)).toBeUndefined()
    const oldest = store.changes.since(configs[1]!.full.etag)
    expect(oldest?.keys).toHaveLength(KEPT_CHANGES + 2)
    expect(oldest?.keys).toContain('k1')
    expect(oldest?.keys).not.toContain('k0')
  })
})
