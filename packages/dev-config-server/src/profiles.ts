import { DevConfigError } from './errors.js'
import type { PropertyValue } from './flatten.js'

/** The property that limits a YAML document to some profiles (Spring Boot 2.4 and later). */
export const ON_PROFILE = 'spring.config.activate.on-profile'

/** A document's profile condition: it applies when any entry matches. */
export type ProfileCondition = readonly { readonly name: string; readonly negated: boolean }[]

/**
 * Reads `spring.config.activate.on-profile` from a flattened document: a comma-separated string or
 * a list, each entry a profile name or `!name`. Spring's profile expressions (`a & b`, `a | b`,
 * parentheses) are refused rather than guessed at.
 */
export function profileCondition(
  source: ReadonlyMap<string, PropertyValue>,
  where: string,
): ProfileCondition | undefined {
  const entries: string[] = []
  const single = source.get(ON_PROFILE)
  if (single !== undefined) entries.push(...String(single).split(','))
  for (let index = 0; source.has(`${ON_PROFILE}[${index}]`); index += 1) {
    entries.push(...String(source.get(`${ON_PROFILE}[${index}]`)).split(','))
  }
  const trimmed = entries.map((entry) => entry.trim()).filter((entry) => entry !== '')
  if (trimmed.length === 0) return undefined
  return trimmed.map((entry) => {
    const negated = entry.startsWith('!')
    const name = (negated ? entry.slice(1) : entry).trim()
    if (name === '' || /[&|()!\s]/.test(name)) {
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where}: ${ON_PROFILE} holds a profile expression; only names and !name are supported`,
      )
    }
    return { name, negated }
  })
}

/** True when a document with this condition applies to the active profiles. */
export function conditionMatches(
  condition: ProfileCondition | undefined,
  active: readonly string[],
): boolean {
  if (condition === undefined) return true
  return condition.some(({ name, negated }) => active.includes(name) !== negated)
}
