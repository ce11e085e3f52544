import { describe, expect, it } from 'vitest'
import {
  createEnvReader,
  defaultTokenPath,
  errorBody,
  formatDurationMs,
  isErrorBody,
  parseDurationMs,
  unknownNames,
} from '@sample/shared'

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms)
  })

  it.each(['', '30', 's', '-1s', '1d', '1 s', 'abc', '1e3ms'])('refuses %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined()
  })

  it('formats the shortest exact unit', () => {
    expect(formatDurationMs(1500)).toBe('1500ms')
    expect(formatDurationMs(30_000)).toBe('30s')
    expect(formatDurationMs(300_000)).toBe('5m')
    expect(formatDurationMs(7_200_000)).toBe('2h')
  })
})

describe('createEnvReader', () => {
  it('collects every problem, each naming the variable and its valid form', () => {
    const read = createEnvReader({ PORT: 'eighty', WAIT: '10', MODE: 'loud', SECRET: 'file:' })
    read.port('PORT', 1)
    read.duration('WAIT', 1000, { minMs: 100, maxMs: 60_000 })
    read.oneOf('MODE', ['quiet', 'normal'] as const, 'quiet')
    read.valueRef('SECRET')
    expect(read.problems).toEqual([
      'PORT must be a port number from 1 to 65535 (got "eighty")',
      'WAIT must be a duration from 100ms to 1m, written like 500ms, 30s, 5m or 1h (got "10")',
      'MODE must be one of quiet, normal (got "loud")',
      'SECRET must be a value or file:<path> naming a file (got "file:")',
    ])
  })

  it('uses defaults for unset and empty values', () => {
    const read = createEnvReader({ EMPTY: '  ' })
    expect(read.port('EMPTY', 8082)).toBe(8082)
    expect(read.port('UNSET', 8080)).toBe(8080)
    expect(read.optionalDuration('UNSET', { minMs: 1, maxMs: 2 })).toBeUndefined()
    expect(read.problems).toEqual([])
  })

  it('refuses ports out of range', () => {
    const read = createEnvReader({ A: '0', B: '65536', C: '65535' })
    expect(read.port('C', 1)).toBe(65_535)
    read.port('A', 1)
    read.port('B', 1)
    expect(read.problems).toHaveLength(2)
  })

  it('reads inline values and file references', () => {
    const read = createEnvReader({ A: 'file:/run/secret', B: 'plain' })
    expect(read.valueRef('A')).toEqual({ kind: 'file', path: '/run/secret' })
    expect(read.valueRef('B')).toEqual({ kind: 'inline', value: 'plain' })
  })
})

describe('unknownNames', () => {
  it('lists unknown names with the prefix, sorted', () => {
    expect(
      unknownNames({ CONFIG_B: '1', CONFIG_A: '1', CONFIG_KNOWN: '1', OTHER: '1' }, 'CONFIG_', [
        'CONFIG_KNOWN',
      ]),
    ).toEqual(['CONFIG_A', 'CONFIG_B'])
  })
})

describe('contract helpers', () => {
  it('builds error bodies that round-trip', () => {
    const body: unknown = JSON.parse(errorBody('ERR_NOT_FOUND', 'no "such" route'))
    expect(isErrorBody(body)).toBe(true)
    expect(body).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'no "such" route' } })
    expect(isErrorBody({ error: 'x' })).toBe(false)
  })

  it('puts the generated token next to the port in the temp directory', () => {
    expect(defaultTokenPath('/tmp', 8082)).toBe('/tmp/config-sidecar-8082.token')
  })
})
