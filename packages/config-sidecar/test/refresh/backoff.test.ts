import { describe, expect, it } from 'vitest'
import {
  POLL_JITTER,
  pollDelayMs,
  retryDelayMs,
  retryLimits,
  splayDelayMs,
} from '../../src/refresh/backoff.js'
import { createRateLimiter } from '../../src/http/rate-limit.js'

describe('pollDelayMs', () => {
  it('spreads the interval by ±10%', () => {
    expect(pollDelayMs(30_000, () => 0)).toBe(27_000)
    expect(pollDelayMs(30_000, () => 0.5)).toBe(30_000)
    expect(pollDelayMs(30_000, () => 0.999_999)).toBe(33_000)
    expect(POLL_JITTER).toBe(0.1)
  })

  it('spreads a fleet evenly across the window', () => {
    const delays = Array.from({ length: 10_000 }, () => pollDelayMs(1000))
    const buckets = new Array<number>(10).fill(0)
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(900)
      expect(delay).toBeLessThanOrEqual(1100)
      buckets[Math.min(9, Math.floor((delay - 900) / 20))]! += 1
    }
    for (const count of buckets) expect(count).toBeGreaterThan(700)
  })
})

describe('splayDelayMs', () => {
  it('puts the first poll anywhere in one interval', () => {
    expect(splayDelayMs(30_000, () => 0)).toBe(0)
    expect(splayDelayMs(30_000, () => 0.5)).toBe(15_000)
    expect(splayDelayMs(30_000, () => 0.999_999)).toBe(30_000)
  })
})

describe('retryDelayMs', () => {
  const limits = { baseMs: 1000, maxMs: 60_000 }

  it('doubles from the base, with equal jitter', () => {
    expect(retryDelayMs(1, limits, () => 0)).toBe(500)
    expect(retryDelayMs(1, limits, () => 0.999_999)).toBe(1000)
    expect(retryDelayMs(2, limits, () => 0.999_999)).toBe(2000)
    expect(retryDelayMs(4, limits, () => 0.999_999)).toBe(8000)
  })

  it('is capped', () => {
    expect(retryDelayMs(30, limits, () => 0.999_999)).toBe(60_000)
    expect(retryDelayMs(1000, limits, () => 0)).toBe(30_000)
  })

  it('caps at ten intervals, at most 5 min, never below the interval', () => {
    expect(retryLimits(30_000)).toEqual({ baseMs: 1000, maxMs: 300_000 })
    expect(retryLimits(200)).toEqual({ baseMs: 200, maxMs: 2000 })
    expect(retryLimits(3_600_000)).toEqual({ baseMs: 1000, maxMs: 3_600_000 })
  })
})

describe('createRateLimiter', () => {
  it('allows a burst, then one call per refill period', () => {
    let now = 0
    const limit = createRateLimiter({ burst: 3, refillMs: 5000, now: () => now })
    expect([limit(), limit(), limit()]).toEqual([0, 0, 0])
    expect(limit()).toBe(5000)
    now = 2500
    expect(limit()).toBe(2500)
    now = 5000
    expect(limit()).toBe(0)
    expect(limit()).toBeGreaterThan(0)
  })
})
