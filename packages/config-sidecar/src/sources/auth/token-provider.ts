/** Gives the bearer token for the upstream. */
export interface TokenProvider {
  /** A valid token, fetched or from the cache. Concurrent callers share one fetch. */
  token(signal?: AbortSignal): Promise<string>
  /** Forgets `token` after the upstream refused it (a 401), so the next call fetches a new one. */
  invalidate(token: string): void
}
