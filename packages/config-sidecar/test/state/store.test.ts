import { hash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createServedConfig } from '../../src/state/served-config.js'
import { SidecarError } from '../../src/support/errors.js'
import { createConfigStore } from '../../src/state/store.js'

const state = (value: unknown) =>
  createServedConfig({
    document: { value },
    secretPaths: [],
    version: `v${String(value)}`,
  })

describe('createConfigStore', () => {
  it('keeps the last good config through failures, marking it stale', () => {
    let now = 1000
    const store = createConfigStore({ now: () => now })
    store.accept(state(1))
    now = 2000
    store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'down'))
    expect(store.current()?.document).toEqual({ value: 1 })
    expect(store.status()).toMatchObject({
      stale: true,
      lastSuccessAt: 1000,
      lastFailure: { code: 'ERR_UPSTREAM_UNAVAILABLE', at: 2000 },
    })
    expect(store.ageMs()).toBe(1000)
    store.confirm()
    expect(store.status().stale).toBe(false)
  })

  it('is stale while serving a snapshot until the source confirms it', () => {
    const store = createConfigStore({ now: () => 5000 })
    store.accept(state(1), { fromSnapshot: true, confirmedAt: 1000 })
    expect(store.status()).toMatchObject({ stale: true, fromSnapshot: true, lastSuccessAt: 1000 })
    store.confirm()
    expect(store.status()).toMatchObject({
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

describe('createServedConfig', () => {
  it('prepares the body and a strong ETag once, and views by path and redaction', () => {
    const config = createServedConfig({
      document: { db: { user: 'u', password: 'plain' }, list: ['a', 'secret'] },
      secretPaths: [
        ['db', 'password'],
        ['list', 1],
      ],
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

  it('keys its ETags: equal bytes give equal ETags, but not an unkeyed hash of them', () => {
    const one = createServedConfig({ document: { pin: '1234' }, secretPaths: [], version: 'v' })
    const two = createServedConfig({ document: { pin: '1234' }, secretPaths: [], version: 'v' })
    expect(one.full.etag).toBe(two.full.etag)
    const unkeyed = `"${hash('sha256', one.full.body, 'base64url')}"`
    expect(one.full.etag).not.toBe(unkeyed)
  })
})
