const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/

/**
 * Parses a duration such as `500ms`, `30s`, `5m` or `1h` into milliseconds.
 * Returns undefined for anything else (a bare number has no unit and is refused).
 */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS]
  const ms = Number(amount) * UNIT_MS[unit]
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

/** Formats milliseconds as the shortest exact duration string (`1500ms`, `30s`, `5m`). */
export function formatDurationMs(ms: number): string {
  if (ms % UNIT_MS.h === 0 && ms > 0) return `${ms / UNIT_MS.h}h`
  if (ms % UNIT_MS.m === 0 && ms > 0) return `${ms / UNIT_MS.m}m`
  if (ms % UNIT_MS.s === 0 && ms > 0) return `${ms / UNIT_MS.s}s`
  return `${ms}ms`
}
