// Reads and checks the path parts of `GET /{application}/{profile}[/{label}]`.
import { DevConfigError } from './errors.js'

/**
 * One name from the request path (an application, a profile or a label part). Names become parts
 * of file names inside the config directory, so they hold no separator, never start with a dot
 * (`.`, `..`, hidden files) and never contain `..`.
 */
const NAME = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*$/
const MAX_NAME_LENGTH = 128

/** Spring Cloud Config's stand-in for `/` inside a label (`feature(_)x` is the label `feature/x`). */
const LABEL_SLASH = '(_)'

/** The parts of `GET /{application}/{profile}[/{label}]`, checked. */
export interface EnvironmentRequest {
  /** One or more application names (`{application}` may be a comma-separated list). */
  readonly applications: readonly string[]
  /** One or more profiles, in request order (the last one wins). */
  readonly profiles: readonly string[]
  /** The label with `(_)` turned into `/` (as Spring answers it), or null. */
  readonly label: string | null
  /** The label as a path of subdirectories below the config directory (empty without a label). */
  readonly labelPath: readonly string[]
}

export function parseEnvironmentRequest(
  application: string,
  profile: string,
  label: string | undefined,
): EnvironmentRequest {
  const applications = nameList(application, 'application')
  const profiles = nameList(profile, 'profile')
  if (label === undefined || label === '') {
    return { applications, profiles, label: null, labelPath: [] }
  }
  const labelPath = label.split(LABEL_SLASH).map((part) => checkName(part, 'label'))
  return { applications, profiles, label: labelPath.join('/'), labelPath }
}

/** Splits a comma-separated list, trims each entry, drops empty ones and duplicates (first kept). */
function nameList(raw: string, what: 'application' | 'profile'): string[] {
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ]
  if (names.length === 0) throw refused(what)
  return names.map((name) => checkName(name, what))
}

function checkName(name: string, what: string): string {
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name) || name.includes('..')) throw refused(what)
  return name
}

function refused(what: string): DevConfigError {
  return new DevConfigError(
    400,
    'invalid_request',
    `${what === 'application' ? 'an' : 'a'} ${what} name holds letters, digits and . _ @ + - only, does not start with a dot, ` +
      `does not contain ".." and is at most ${MAX_NAME_LENGTH} characters`,
  )
}
