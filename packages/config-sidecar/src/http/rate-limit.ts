/**
 * A token bucket: `burst` calls at once, then one every `refillMs`. Returns 0 when a call may go
 * ahead, else the milliseconds until it may.
 */
export function createRateLimiter(options: {
  burst: number
  refillMs: number
  now?: () => number
}): () => number {
  const now = options.now ?? Date.now
  let tokens = options.burst
  let updatedAt = now()
  return () => {
    const current = now()
    tokens = Math.min(options.burst, tokens + (current - updatedAt) / options.refillMs)
    updatedAt = current
    if (tokens >= 1) {
      tokens -= 1
      return 0
    }
    return Math.ceil((1 - tokens) * options.refillMs)
  }
}
