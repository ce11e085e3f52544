// Which views of one served config are kept (src/state/served-config.ts): a view kept is answered
// as the same object when asked for again, a view not kept is rendered again to the same bytes and
// ETag. The byte budget (VIEW_CACHE_BYTES, the views asked for last kept), a view larger than it,
// the cap of 256 path views (past it they are all forgotten, other views stay), the whole-document
// views that are the full or redacted view itself, and secret paths the document does not hold.
import { describe, expect, it } from 'vitest'
import { REDACTED, VIEW_CACHE_BYTES, createServedConfig } from '../../src/state/served-config.js'
import type { Representation, ServedConfig } from '../../src/state/served-config.js'

const MiB = 1024 * 1024
/** The most path views kept at a time (MAX_CACHED_PATHS). */
const PATHS = 256

/** A string whose JSON (the body of its path view) is exactly `bytes` long. */
const sized = (bytes: number): string => 'x'.repeat(bytes - 2)

const served = (document: Record<string, unknown>, secretPaths: (string | number)[][] = []) =>
  createServedConfig({ document, secretPaths, version: 'v1' })

/** The view at a top-level key (fails the test when absent). */
const at = (config: ServedConfig, key: string, redact = false): Representation => {
  const view = config.at([key], redact)
  if (view === undefined) throw new Error(`no view at ${key}`)
  return view
}

/** `view` was rendered again: another object with the same bytes and ETag as `before`. */
const expectRenderedAgain = (view: Representation, before: Representation): void => {
  expect(view === before, 'the same object').toBe(false)
  expect(view.etag).toBe(before.etag)
  expect(view.body.equals(before.body)).toBe(true)
}

/**
 * `view` is the object kept from before. Not `.toBe`: when it fails, it compares the two deeply,
 * byte by byte, which takes seconds for views of megabytes.
 */
const expectKept = (view: unknown, before: unknown): void => {
  expect(view === before, 'the same object').toBe(true)
}

/** `count` small top-level keys, `k0`, `k1`, … */
const keys = (count: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]))

describe('the whole-document views', () => {
  it('are the full view itself for the JSON format and the top path; the redacted one with redaction', () => {
    const config = served({ a: 1, s: 'secret' }, [['s']])
    expect(config.format('json', false)).toBe(config.full)
    expect(config.at([], false)).toBe(config.full)
    const redacted = config.redacted()
    expect(redacted === config.full).toBe(false)
    expect(config.format('json', true)).toBe(redacted)
    expect(config.at([], true)).toBe(redacted)
    expect(config.full.contentType).toBeUndefined()
  })

  it('without secrets, the redacted view is the full view', () => {
    const config = served({ a: 1 })
    expect(config.redacted()).toBe(config.full)
    expect(config.format('json', true)).toBe(config.full)
    expect(config.at([], true)).toBe(config.full)
  })
})

describe('views kept', () => {
  it('keeps every view asked for while they fit, paths and formats alike', () => {
    const config = served({ a: { b: 1 }, ab: 2, s: 'secret' }, [['s']])
    const first = [
      config.at(['a', 'b'], false),
      config.at(['ab'], false),
      config.format('yaml', false),
      config.at(['a'], false),
      config.format('yaml', true),
      config.redacted(),
      config.at(['s'], true),
      config.format('properties', false),
    ]
    const again = [
      config.at(['a', 'b'], false),
      config.at(['ab'], false),
      config.format('yaml', false),
      config.at(['a'], false),
      config.format('yaml', true),
      config.redacted(),
      config.at(['s'], true),
      config.format('properties', false),
    ]
    again.forEach((view, index) => expect(view, `view ${index}`).toBe(first[index]))
  })

  it('keys a path by its segments: `a`,`b` is not `ab`', () => {
    const config = served({ a: { b: 1 }, ab: 2 })
    expect(config.at(['a', 'b'], false)?.body.toString()).toBe('1')
    expect(config.at(['ab'], false)?.body.toString()).toBe('2')
    expect(config.at(['a', 'b'], false)?.body.toString()).toBe('1')
  })
})

describe('the byte budget', () => {
  it('answers a view larger than the budget without keeping it, and keeps the others', () => {
    const config = served({ small: 1, big: sized(VIEW_CACHE_BYTES + 1) })
    const small = at(config, 'small')
    const big = at(config, 'big')
    expect(big.body.length).toBe(VIEW_CACHE_BYTES + 1)
    expectRenderedAgain(at(config, 'big'), big)
    expectKept(at(config, 'small'), small)
  })

  it('keeps a view of exactly the budget', () => {
    const config = served({ exact: sized(VIEW_CACHE_BYTES) })
    const exact = at(config, 'exact')
    expect(exact.body.length).toBe(VIEW_CACHE_BYTES)
    expectKept(at(config, 'exact'), exact)
  })

  it('keeps views that fill the budget exactly, then drops the least recently asked for first', () => {
    const half = VIEW_CACHE_BYTES / 2
    const config = served({ a: sized(half), b: sized(half), c: 1 })
    const a = at(config, 'a')
    const b = at(config, 'b')
    // Together exactly the budget: both kept; asking for `a` makes `b` the least recent.
    expectKept(at(config, 'a'), a)
    expectKept(at(config, 'b'), b)
    expectKept(at(config, 'a'), a)
    const c = at(config, 'c')
    // One byte more: `b` goes, `a` (asked for after it) and `c` stay.
    expectKept(at(config, 'a'), a)
    expectKept(at(config, 'c'), c)
    expectRenderedAgain(at(config, 'b'), b)
  })
})

describe('the path views kept', () => {
  it('are at most 256: the 257th forgets them all, and the other views stay', () => {
    const config = served({ ...keys(PATHS + 1), s: 'secret' }, [['s']])
    const yaml = config.format('yaml', false)
    const redacted = config.redacted()
    const first = at(config, 'k0')
    for (let index = 1; index < PATHS; index += 1) at(config, `k${index}`)
    // 256 path views: all kept.
    expectKept(at(config, 'k0'), first)
    const last = at(config, `k${PATHS - 1}`)
    expectKept(at(config, `k${PATHS - 1}`), last)
    at(config, `k${PATHS}`)
    expectRenderedAgain(at(config, 'k0'), first)
    expectRenderedAgain(at(config, `k${PATHS - 1}`), last)
    expectKept(config.format('yaml', false), yaml)
    expectKept(config.redacted(), redacted)
  })

  it('count path views only: the format and redacted views do not make fewer paths kept', () => {
    const config = served({ ...keys(PATHS), s: 'secret' }, [['s']])
    for (const format of ['yaml', 'properties', 'env', 'flat'] as const) {
      config.format(format, false)
      config.format(format, true)
    }
    config.redacted()
    const first = at(config, 'k0')
    for (let index = 1; index < PATHS; index += 1) at(config, `k${index}`)
    expectKept(at(config, 'k0'), first)
  })

  it('count a path view dropped for the budget as gone', () => {
    const big = 5 * MiB
    const config = served({ big1: sized(big), big2: sized(big), ...keys(PATHS - 1) })
    at(config, 'big1')
    const big2 = at(config, 'big2')
    // `big1` was dropped for `big2`: one path view kept, room for 255 more.
    const first = at(config, 'k0')
    for (let index = 1; index < PATHS - 1; index += 1) at(config, `k${index}`)
    expectKept(at(config, 'k0'), first)
    expectKept(at(config, 'big2'), big2)
  })

  it('count a format view dropped for the budget as no path', () => {
    const config = served({ big: sized(5 * MiB), ...keys(PATHS) })
    const yaml = config.format('yaml', false)
    expect('body' in yaml && yaml.body.length).toBeGreaterThan(VIEW_CACHE_BYTES - 5 * MiB)
    // The big path view leaves no room for the YAML view: it is dropped, one path view is kept.
    at(config, 'big')
    const first = at(config, 'k0')
    for (let index = 1; index < PATHS - 1; index += 1) at(config, `k${index}`)
    // 256 path views: all kept; the 257th forgets them all.
    expectKept(at(config, 'k0'), first)
    at(config, `k${PATHS - 1}`)
    expectRenderedAgain(at(config, 'k0'), first)
    const again = config.format('yaml', false)
    expect(again === yaml, 'the same object').toBe(false)
    expect('etag' in again && again.etag).toBe('etag' in yaml && yaml.etag)
  })
})

describe('the redacted view', () => {
  it('leaves the document as it is where a secret path leads nowhere (a missing key or item, a scalar)', () => {
    const document = { list: ['a'], scalar: 'x', obj: { k: 1 } }
    const config = served(document, [
      ['list', 3, 'x'],
      ['scalar', 'y'],
      ['missing', 'z'],
      ['obj', 'k'],
    ])
    expect(JSON.parse(config.redacted().body.toString('utf8'))).toStrictEqual({
      list: ['a'],
      scalar: 'x',
      obj: { k: REDACTED },
    })
    expect(config.document).toStrictEqual({ list: ['a'], scalar: 'x', obj: { k: 1 } })
  })
})
