import { formatDurationMs, parseDurationMs } from './duration.js'

/** An environment: `process.env` in production, an object literal in tests. */
export type Env = Readonly<Record<string, string | undefined>>

/** A value given inline or as `file:<path>`, read later by the process that needs it. */
export type ValueRef =
  | { readonly kind: 'inline'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string }

/**
 * Reads typed settings out of an environment and collects every problem, so a bad start names all
 * of them at once. Each message names the variable and its valid form. Values of variables read
 * with `secret: true` never appear in a message.
 */
export interface EnvReader {
  /** Problems found so far, one sentence each. */
  readonly problems: readonly string[]
  /** The trimmed value, or undefined when unset or empty. */
  string(name: string): string | undefined
  /** A TCP port (1–65535). */
  port(name: string, fallback: number): number
  /** A duration such as `30s` within [minMs, maxMs]. */
  duration(name: string, fallback: number, range: { minMs: number; maxMs: number }): number
  /** An optional duration; undefined when unset. */
  optionalDuration(name: string, range: { minMs: number; maxMs: number }): number | undefined
  /** One of a fixed set of words. */
  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T
  /** A value given inline or as `file:<path>`. */
  valueRef(name: string): ValueRef | undefined
  /** Records a problem found by the caller (cross-field checks). */
  problem(message: string): void
}

export function createEnvReader(env: Env): EnvReader {
  const problems: string[] = []

  const string = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }

  const parseRange = (
    name: string,
    range: { minMs: number; maxMs: number },
  ): number | undefined => {
    const raw = string(name)
    if (raw === undefined) return undefined
    const ms = parseDurationMs(raw)
    if (ms === undefined || ms < range.minMs || ms > range.maxMs) {
      problems.push(
        `${name} must be a duration from ${formatDurationMs(range.minMs)} to ${formatDurationMs(range.maxMs)}, written like 500ms, 30s, 5m or 1h (got ${JSON.stringify(raw)})`,
      )
      return undefined
    }
    return ms
  }

  return {
    problems,
    string,
    port(name, fallback) {
      const raw = string(name)
      if (raw === undefined) return fallback
      const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN
      if (!(port >= 1 && port <= 65_535)) {
        problems.push(`${name} must be a port number from 1 to 65535 (got ${JSON.stringify(raw)})`)
        return fallback
      }
      return port
    },
    duration(name, fallback, range) {
      return parseRange(name, range) ?? fallback
    },
    optionalDuration(name, range) {
      return parseRange(name, range)
    },
    oneOf(name, choices, fallback) {
      const raw = string(name)
      if (raw === undefined) return fallback
      const found = choices.find((choice) => choice === raw)
      if (found === undefined) {
        problems.push(`${name} must be one of ${choices.join(', ')} (got ${JSON.stringify(raw)})`)
        return fallback
      }
      return found
    },
    valueRef(name) {
      const raw = string(name)
      if (raw === undefined) return undefined
      if (raw.startsWith('file:')) {
        const path = raw.slice('file:'.length)
        if (path === '') {
          problems.push(`${name} must be a value or file:<path> naming a file (got "file:")`)
          return undefined
        }
        return { kind: 'file', path }
      }
      return { kind: 'inline', value: raw }
    },
    problem(message) {
      problems.push(message)
    },
  }
}

/** Names in `env` that start with `prefix` and are not in `known`, sorted. */
export function unknownNames(env: Env, prefix: string, known: Iterable<string>): string[] {
  const knownSet = new Set(known)
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && !knownSet.has(name))
    .sort()
}
