// The refusal log as a unit, on fake time: one line for the first refusal of a kind, then one line
// a window with the count, a window without refusals ending the series, and samples cut to a safe
// form.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { recordingLogger } from '../../../../test-support/logs.js'
import { createRefusalLog, forLog } from '../../src/http/guards.js'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createRefusalLog', () => {
  it('logs the first refusal of a kind at once, then the count once a window', () => {
    const { lines, logger } = recordingLogger({ level: 'info' })
    const log = createRefusalLog(logger, 10_000)
    log.record('foreign-host', { host: 'evil.example' })
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'refused a local caller',
        level: 'warn',
        kind: 'foreign-host',
        status: 403,
        code: 'ERR_HOST_NOT_ALLOWED',
        count: 1,
        suppressed: 0,
        host: 'evil.example',
      }),
    ])
    expect(lines[0]).not.toHaveProperty('windowSeconds')
    log.record('foreign-host', { host: 'a' })
    log.record('foreign-host', { host: 'b' })
    log.record('no-token')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ kind: 'no-token', status: 401, count: 1 })
    vi.advanceTimersByTime(10_000)
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatchObject({
      kind: 'foreign-host',
      count: 2,
      suppressed: 2,
      windowSeconds: 10,
      host: 'b',
    })
    // A window without refusals ends the series: the next refusal gets a line of its own at once.
    vi.advanceTimersByTime(10_000)
    expect(lines).toHaveLength(3)
    vi.advanceTimersByTime(10_000)
    log.record('foreign-host', { host: 'c' })
    expect(lines).toHaveLength(4)
    expect(lines[3]).toMatchObject({ count: 1, suppressed: 0, host: 'c' })
  })

  it('writes what is pending when closed, and nothing after', () => {
    const { lines, logger } = recordingLogger({ level: 'info' })
    const log = createRefusalLog(logger, 10_000)
    log.record('wrong-token')
    log.record('forwarded')
    log.record('wrong-token')
    log.close()
    expect(lines.map((line) => [line['kind'], line['count']])).toEqual([
      ['wrong-token', 1],
      ['forwarded', 1],
      ['wrong-token', 1],
    ])
    log.record('wrong-token')
    vi.advanceTimersByTime(60_000)
    expect(lines).toHaveLength(3)
  })

  it('keeps only safe characters of a sample, and leaves out what is absent', () => {
    const { lines, logger } = recordingLogger({ level: 'info' })
    createRefusalLog(logger).record('method-not-allowed', { method: 'PO ST\r\n', host: undefined })
    expect(lines[0]).toMatchObject({ method: 'PO?ST??' })
    expect(lines[0]).not.toHaveProperty('host')
  })
})

describe('forLog', () => {
  it('cuts at the limit with …, and replaces anything outside [A-Za-z0-9.:_[]-] with ?', () => {
    expect(forLog(undefined)).toBe('')
    expect(forLog('[::1]:8082')).toBe('[::1]:8082')
    expect(forLog('a b"c')).toBe('a?b?c')
    expect(forLog('x'.repeat(64))).toBe('x'.repeat(64))
    expect(forLog('x'.repeat(65))).toBe(`${'x'.repeat(64)}…`)
    expect(forLog('abcdef', 3)).toBe('abc…')
  })
})
