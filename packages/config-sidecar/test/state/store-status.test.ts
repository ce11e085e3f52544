// The store's health before and around its first config (src/state/store.ts), and the change log
// used on its own (src/state/change-log.ts): a log that starts again when told of no previous
// config, and the ETags noted for the views of each config.
import { describe, expect, it } from 'vitest'
import { createChangeLog } from '../../src/state/change-log.js'
import { createServedConfig } from '../../src/state/served-config.js'
import { createConfigStore } from '../../src/state/store.js'
import { SidecarError } from '../../src/support/errors.js'

const config = (document: Record<string, unknown>, version: string) =>
  createServedConfig({ document, secretPaths: [], version })

describe('a store before its first config', () => {
  it('has an empty status: no config, nothing stale, not from a snapshot', () => {
    const store = createConfigStore({ now: () => 1000 })
    expect(store.status()).toStrictEqual({
      config: undefined,
      lastSuccessAt: undefined,
      lastChangeAt: undefined,
      lastChange: undefined,
      lastFailure: undefined,
      stale: false,
      fromSnapshot: false,
    })
    expect(store.isStale()).toBe(false)
    expect(store.ageMs()).toBeUndefined()
  })

  it('is not stale after a failure, having nothing to serve', () => {
    const store = createConfigStore({ now: () => 1000 })
    store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'down'))
    expect(store.status()).toMatchObject({
      stale: false,
      lastFailure: { code: 'ERR_UPSTREAM_UNAVAILABLE', message: 'down', at: 1000 },
    })
    expect(store.isStale()).toBe(false)
    store.accept(config({ a: 1 }, 'v1'))
    expect(store.isStale()).toBe(false)
    store.fail(new SidecarError('ERR_UPSTREAM_UNAVAILABLE', 'down again'))
    expect(store.isStale()).toBe(true)
  })

  it('counts the age from the confirmation, never below 0 (a confirmation time ahead of the clock)', () => {
    let now = 10_000
    const store = createConfigStore({ now: () => now })
    store.accept(config({ a: 1 }, 'v1'), { fromSnapshot: true, confirmedAt: 12_000 })
    expect(store.ageMs()).toBe(0)
    now = 15_000
    expect(store.ageMs()).toBe(3_000)
  })
})

describe('the change log on its own', () => {
  it('knows no ETag before its first config', () => {
    expect(createChangeLog().since('"any"')).toBeUndefined()
    expect(createChangeLog().last()).toBeUndefined()
  })

  it('takes a config with a previous one but an empty history as the first: no change', () => {
    const log = createChangeLog()
    const a = config({ a: 1 }, 'v1')
    const b = config({ a: 2 }, 'v2')
    expect(log.accept(a, b, 5)).toBeUndefined()
    expect(log.last()).toBeUndefined()
    expect(log.since(b.full.etag)).toStrictEqual({ keys: [], view: 'json' })
    expect(log.since(a.full.etag)).toBeUndefined()
  })

  it('starts its history at a config with the same bytes as a previous one it never held', () => {
    const log = createChangeLog()
    const a = config({ a: 1 }, 'v1')
    const again = config({ a: 1 }, 'v1-again')
    expect(log.accept(a, again, 5)).toBeUndefined()
    expect(log.since(again.full.etag)).toStrictEqual({ keys: [], view: 'json' })
    log.served(again, 'yaml', '"yaml-etag"')
    expect(log.since('"yaml-etag"')).toStrictEqual({ keys: [], view: 'yaml' })
  })

  it('starts again at a config given without a previous one: the history before is forgotten', () => {
    const log = createChangeLog()
    const a = config({ a: 1 }, 'v1')
    const b = config({ a: 2 }, 'v2')
    log.accept(undefined, a, 1)
    expect(log.accept(a, b, 2)).toMatchObject({ changed: ['a'] })
    const restart = config({ a: 3 }, 'v3')
    expect(log.accept(undefined, restart, 3)).toBeUndefined()
    expect(log.last()).toBeUndefined()
    expect(log.since(a.full.etag)).toBeUndefined()
    expect(log.since(b.full.etag)).toBeUndefined()
    expect(log.since(restart.full.etag)).toStrictEqual({ keys: [], view: 'json' })
    // The same bytes as the served config, given without a previous one: a new start too.
    const same = config({ a: 3 }, 'v3-again')
    expect(log.accept(undefined, same, 4)).toBeUndefined()
    expect(log.since(restart.full.etag)).toStrictEqual({ keys: [], view: 'json' })
  })

  it('notes the ETag of a view once, under the first view named, and never the full view’s', () => {
    const log = createChangeLog()
    // Top-level keys only: the `flat` view has the bytes, so the ETag, of the full view.
    const a = config({ a: 1 }, 'v1')
    const b = config({ a: 2 }, 'v2')
    log.accept(undefined, a, 1)
    log.served(a, 'flat', a.full.etag)
    log.served(a, 'yaml', '"a-yaml"')
    log.served(a, 'yaml+redact', '"a-yaml"')
    log.accept(a, b, 2)
    expect(log.since(a.full.etag)).toStrictEqual({ keys: ['a'], view: 'json' })
    expect(log.since('"a-yaml"')).toStrictEqual({ keys: ['a'], view: 'yaml' })
  })

  it('notes nothing for a config it never accepted', () => {
    const log = createChangeLog()
    const a = config({ a: 1 }, 'v1')
    log.accept(undefined, a, 1)
    const stranger = config({ b: 1 }, 'v9')
    expect(() => log.served(stranger, 'yaml', '"stranger-yaml"')).not.toThrow()
    expect(log.since('"stranger-yaml"')).toBeUndefined()
  })
})
