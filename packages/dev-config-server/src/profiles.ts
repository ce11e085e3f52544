// Profile gates of config documents: `spring.config.activate.on-profile` (or the legacy
// `spring.profiles`), read, taken out of the served properties, and matched against a request.
import { DevConfigError } from './errors.js'
import type { PropertyValue } from './flatten.js'

/** The property that limits a document to some profiles (Spring Boot 2.4 and later). */
export const ON_PROFILE = 'spring.config.activate.on-profile'
/** Its older name (Spring Boot before 2.4; 2.4 to 2.7 still honoured it). */
export const LEGACY_PROFILES = 'spring.profiles'

/** A document's profile condition: it applies when any entry matches. */
export type ProfileCondition = readonly { readonly name: string; readonly negated: boolean }[]

/** A document's properties without its gate, and the gate (undefined: it always applies). */
export interface GatedSource {
  readonly source: ReadonlyMap<string, PropertyValue>
  readonly condition: ProfileCondition | undefined
}

/**
 * Reads a flattened document's gate, `spring.config.activate.on-profile` or the legacy
 * `spring.profiles`: a comma-separated string or a list, each entry a profile name or `!name`.
 * Spring's profile expressions (`a & b`, `a | b`, parentheses) are refused rather than guessed at,
 * and so is a document holding both keys (Spring Boot 2.4 to 2.7 refused it too). The gate keys
 * are left out of the returned properties: they are not served.
 */
export function readGate(source: ReadonlyMap<string, PropertyValue>, where: string): GatedSource {
  const current = gateEntries(source, ON_PROFILE)
  const legacy = gateEntries(source, LEGACY_PROFILES)
  if (current.entries.length > 0 && legacy.entries.length > 0) {
    throw new DevConfigError(
      500,
      'invalid_config',
      `${where} uses both ${ON_PROFILE} and the legacy ${LEGACY_PROFILES}; keep one`,
    )
  }
  const served = new Map(source)
  for (const key of [...current.keys, ...legacy.keys]) served.delete(key)
  const [key, entries] =
    current.entries.length > 0 ? [ON_PROFILE, current.entries] : [LEGACY_PROFILES, legacy.entries]
  return {
    source: served,
    condition: entries.length === 0 ? undefined : condition(entries, key, where),
  }
}

/** True when a document with this condition applies to the active profiles. */
export function conditionMatches(
  condition: ProfileCondition | undefined,
  active: readonly string[],
): boolean {
  if (condition === undefined) return true
  return condition.some(({ name, negated }) => active.includes(name) !== negated)
}

/** The entries of `key` (a string, or a list flattened to `key[0]`, `key[1]`, …). */
function gateEntries(
  source: ReadonlyMap<string, PropertyValue>,
  key: string,
): { keys: string[]; entries: string[] } {
  const keys = source.has(key) ? [key] : []
  for (let index = 0; source.has(`${key}[${index}]`); index += 1) keys.push(`${key}[${index}]`)
  const entries = keys
    .flatMap((name) => String(source.get(name)).split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  return { keys, entries }
}

function condition(entries: readonly string[], key: string, where: string): ProfileCondition {
  return entries.map((entry) => {
    const negated = entry.startsWith('!')
    const name = (negated ? entry.slice(1) : entry).trim()
    if (name === '' || /[&|()!\s]/.test(name)) {
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where}: ${key} holds a profile expression; only names and !name are supported`,
      )
    }
    return { name, negated }
  })
}
