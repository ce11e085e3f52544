// Edges of merging a Spring Cloud Config environment (spring.ts): the order keys are served in, the
// version, which source a null comes from, the `spring.profiles` gate and the refusals with their
// messages.
import { describe, expect, it } from 'vitest'
import { mergeSpringEnvironment } from '../../src/document/spring.js'
import { SidecarError } from '../../src/support/errors.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

type Source = Record<string, unknown>

function environment(...sources: Source[]): Record<string, unknown> {
  return { propertySources: sources.map((source, i) => ({ name: `s${i}`, source })) }
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value))
}

function thrown(run: () => unknown): SidecarError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    return error as SidecarError
  }
  throw new Error('expected a SidecarError')
}

describe('the order of a merged Spring document', () => {
  it('serves keys in the order they first appear reading from the lowest source up', () => {
    const { document } = mergeSpringEnvironment(environment({ b: 1, a: 2 }, { a: 3, c: 4 }), 'cfg')
    expect(Object.keys(document)).toEqual(['a', 'c', 'b'])
    expect(plain(document)).toEqual({ a: 2, c: 4, b: 1 })
  })

  it('serves lists after the other keys, in the order they first appear from the lowest source', () => {
    const { document } = mergeSpringEnvironment(
      environment({ 'm[0]': 1, 'n[0]': 2 }, { 'm[0]': 3, 'l[0]': 4 }),
      'cfg',
    )
    expect(Object.keys(document)).toEqual(['m', 'l', 'n'])
    expect(plain(document)).toEqual({ m: [1], l: [4], n: [2] })

    const mixed = mergeSpringEnvironment(
      environment({ a: 1, 'l[0]': 1, b: 2, 'm[0]': 2, c: 3 }),
      'cfg',
    ).document
    expect(Object.keys(mixed)).toEqual(['a', 'b', 'c', 'l', 'm'])
  })
})

describe('the version of a Spring environment', () => {
  it('is the environment version when it is a non-empty string, else undefined', () => {
    const merge = (version: unknown): string | undefined =>
      mergeSpringEnvironment({ ...environment({ a: 1 }), version }, 'cfg').version
    expect(merge('abc123')).toBe('abc123')
    expect(merge('')).toBeUndefined()
    expect(merge(42)).toBeUndefined()
    expect(merge(undefined)).toBeUndefined()
  })
})

describe('null values across sources', () => {
  it('takes a null from the highest source that has the key when no source has a value', () => {
    // Only the error naming the key shows which source a null came from.
    const error = thrown(() =>
      mergeSpringEnvironment(environment({ a: null }, { a: null }), 'cfg', { maxBytes: 10 }),
    )
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toMatch(/the limit is passed at "a" of propertySources\[0\]$/)
  })

  it('lets a lower value win over a higher null', () => {
    const { document } = mergeSpringEnvironment(environment({ a: null }, { a: 'low' }), 'cfg')
    expect(plain(document)).toEqual({ a: 'low' })
  })
})

describe('the spring.profiles gate', () => {
  it('drops only spring.profiles and its list form, serving the rest of spring.* and *.profiles', () => {
    const { document } = mergeSpringEnvironment(
      environment({
        'spring.profiles': 'dev',
        'spring.profiles[0]': 'dev',
        'spring.profiles.active': 'dev',
        'spring.profiles.include[0]': 'extra',
        'spring.name': 'app',
        'x.profiles': 'p',
      }),
      'cfg',
    )
    expect(plain(document)).toEqual({
      spring: { profiles: { active: 'dev', include: ['extra'] }, name: 'app' },
      x: { profiles: 'p' },
    })
  })

  it('serves deeper keys under a spring.profiles list element', () => {
    const { document } = mergeSpringEnvironment(
      environment({ 'spring.profiles[0].name': 'n' }),
      'cfg',
    )
    expect(plain(document)).toEqual({ spring: { profiles: [{ name: 'n' }] } })
  })
})

describe('refused Spring environments', () => {
  it('names the property source that has no source object', () => {
    const error = thrown(() =>
      mergeSpringEnvironment(
        { propertySources: [{ name: 'ok', source: {} }, { name: 'bad' }] },
        'cfg',
      ),
    )
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toBe('cfg: propertySources[1] has no "source" object')
  })

  it('names the property source of a key that does not parse', () => {
    const error = thrown(() => mergeSpringEnvironment(environment({}, { 'a[': 1 }), 'cfg'))
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toBe('cfg: propertySources[1]: property key "a[" has an unclosed [')
  })

  it('accepts a key exactly as deep as the limit and refuses one level more', () => {
    const key = (depth: number): string => Array.from({ length: depth }, () => 'k').join('.')
    const deepest = mergeSpringEnvironment(
      environment({ [key(DOCUMENT_LIMITS.maxDepth)]: 1 }),
      'cfg',
    )
    expect(JSON.stringify(deepest.document)).toContain('{"k":1}')
    const error = thrown(() =>
      mergeSpringEnvironment(environment({ [key(DOCUMENT_LIMITS.maxDepth + 1)]: 1 }), 'cfg'),
    )
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toBe(
      `cfg: propertySources[0]: a property key nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
    )
  })
})
