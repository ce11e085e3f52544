import { describe, expect, it } from 'vitest'
import { createConfigState } from '../src/config-state.js'
import { SidecarError } from '../src/errors.js'
import { createConfigStore } from '../src/store.js'

const state = (value: unknown) =>
  createConfigState({
    document: { value },
    secretPaths: [],
    secrets: new Map(),
  })

describe('createConfigStore', () => {
  it('keeps the last good config through failures, marking it stale', () => {
    let now = 1000
    const store = createConfigStore({ now: () => now })
    store.accept(state(1))
    now = 2000
    store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'down'))
    expect(store.current()?.document).toEqual({ value: 1 })
    expect(store.snapshot()).toMatchObject({
      stale: true,
      lastSuccessAt: 1000,
      lastFailure: { code: 'ERR_UPSTREAM_UNAVAILABLE', at: 2000 },
    })
    expect(store.ageMs()).toBe(1000)
    store.confirm()
    expect(store.snapshot().stale).toBe(false)
  })

  it('is stale while serving a snapshot until the source confirms it', () => {
    const store = createConfigStore({ now: () => 5000 })
    store.accept(state(1), { fromSnapshot: true, confirmedAt: 1000 })
    expect(store.snapshot()).toMatchObject({ stale: true, fromSnapshot: true, lastSuccessAt: 1000 })
    store.confirm()
    expect(store.snapshot()).toMatchObject({
      stale: false,
      fromSnapshot: false,
      lastSuccessAt: 5000,
    })
  })

  it('is too stale past the maximum age', () => {
    let now = 0
    const store = createConfigStore({ maxStalenessMs: 1000, now: () => now })
    expect(store.tooStale()).toBe(false)
    store.accept(state(1))
    now = 1000
    expect(store.tooStale()).toBe(false)
    now = 1001
    expect(store.tooStale()).toBe(true)
  })

  it('tells listeners about changes only', () => {
    const store = createConfigStore()
    const seen: unknown[] = []
    const unsubscribe = store.subscribe((next) => seen.push(next.document))
    store.accept(state(1))
    store.accept(state(1))
    store.accept(state(2))
    unsubscribe()
    store.accept(state(3))
    expect(seen).toEqual([{ value: 1 }, { value: 2 }])
  })
})

describe('createConfigState', () => {
  it('prepares the body and a strong ETag once, and views by path and redaction', () => {
    const config = createConfigState({
      document: { db: { user: 'u', password: 'plain' }, list: ['a', 'secret'] },
      secretPaths: [
        ['db', 'password'],
        ['list', 1],
      ],
      secrets: new Map(),
      version: 'v1',
    })
    expect(config.version).toBe('v1')
    expect(config.full.body.toString()).toBe(
      '{"db":{"user":"u","password":"plain"},"list":["a","secret"]}',
    )
    expect(config.redacted().body.toString()).toBe(
      '{"db":{"user":"u","password":"[redacted]"},"list":["a","[redacted]"]}',
    )
    expect(config.at(['db', 'password'], true)?.body.toString()).toBe('"[redacted]"')
    expect(config.at(['db', 'password'], false)?.body.toString()).toBe('"plain"')
    expect(config.at(['db'], false)).toBe(config.at(['db'], false))
    expect(config.at(['nope'], false)).toBeUndefined()
    expect(config.secretCount).toBe(2)
    expect(config.full.etag).not.toBe(config.redacted().etag)
  })

  it('uses the content hash as version when the source gives none', () => {
    const config = createConfigState({ document: { a: 1 }, secretPaths: [], secrets: new Map() })
    expect(`"${config.version}"`).toBe(config.full.etag)
  })
})
