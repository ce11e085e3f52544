/** Spread of the poll interval: ±10%, so a fleet of sidecars does not poll in step. */
export const POLL_JITTER = 0.1

/** The next poll delay: the interval with ±10% jitter. `random` returns [0, 1). */
export function pollDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (1 - POLL_JITTER + 2 * POLL_JITTER * random()))
}

/** The first poll's delay: a uniformly random point of one interval. `random` returns [0, 1). */
export function splayDelayMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * random())
}

/**
 * The delay before retry number `attempt` (1 for the first retry) after failures: exponential from
 * `baseMs`, capped at `maxMs`, with "equal jitter" (between half and all of the step) so retries
 * from many sidecars spread out.
 */
export function retryDelayMs(
  attempt: number,
  limits: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const step = Math.min(limits.maxMs, limits.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + (step / 2) * random())
}

/**
 * Retry limits for a poll interval: start at 1 s (or the interval if shorter); cap at ten intervals
 * but at most 5 min (never below the interval itself), so a recovered upstream is seen soon.
 */
export function retryLimits(intervalMs: number): { baseMs: number; maxMs: number } {
  return {
    baseMs: Math.min(1000, intervalMs),
    maxMs: Math.max(intervalMs, Math.min(300_000, 10 * intervalMs)),
  }
}
