// Builds a Spring Cloud Config environment for a request: which files, in which order, which of
// their documents, and the content hash that serves as version and ETag.
import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DevConfigError } from './errors.js'
import type { FileCache } from './file-cache.js'
import type { PropertyValue } from './flatten.js'
import type { EnvironmentRequest } from './names.js'
import type { FileFormat } from './parse.js'
import { conditionMatches } from './profiles.js'

/** One property source of a Spring Cloud Config environment. */
export interface PropertySource {
  readonly name: string
  readonly source: Readonly<Record<string, PropertyValue>>
}

/** The body of `GET /{application}/{profile}[/{label}]`, as Spring Cloud Config Server sends it. */
export interface Environment {
  readonly name: string
  readonly profiles: readonly string[]
  readonly label: string | null
  /** A SHA-256 of everything else in the environment: it changes exactly when the answer does. */
  readonly version: string
  readonly state: null
  /** Highest precedence first. */
  readonly propertySources: readonly PropertySource[]
}

/**
 * Extensions read for each config name, highest precedence first: Spring puts `.properties` over
 * `.yml` over `.yaml`; `.json` (not a Spring format) comes last.
 */
const EXTENSIONS: readonly { readonly extension: string; readonly format: FileFormat }[] = [
  { extension: 'properties', format: 'properties' },
  { extension: 'yml', format: 'yaml' },
  { extension: 'yaml', format: 'yaml' },
  { extension: 'json', format: 'json' },
]

/**
 * The config file names for a request, highest precedence first, as Spring Cloud Config's native
 * backend resolves them (it runs Spring Boot with `spring.config.name=application,{application}`
 * and `spring.profiles.active={profile}`): every profile-specific file outranks every plain one;
 * among profiles the last one wins; for each profile, and among the plain files, an application's
 * own file outranks `application` (and a later application in a comma-separated list outranks an
 * earlier one). For `foo` with `dev,mysql`:
 * `foo-mysql, application-mysql, foo-dev, application-dev, foo, application`.
 * Like Spring, `application` is not added when the `{application}` part starts with "application"
 * (`applicationxyz` reads `applicationxyz*` files only).
 */
export function configNames(
  applications: readonly string[],
  profiles: readonly string[],
): string[] {
  const given = applications[0]?.startsWith('application') ? [] : ['application']
  const names = [...new Set([...given, ...applications])]
  const lowestFirst = [...names]
  for (const profile of profiles) {
    for (const name of names) lowestFirst.push(`${name}-${profile}`)
  }
  return [...new Set(lowestFirst.reverse())]
}

/** Builds the environment for a request from the config directory `root`. */
export async function buildEnvironment(
  root: string,
  request: EnvironmentRequest,
  files: FileCache,
): Promise<Environment> {
  const directory = join(root, ...request.labelPath)
  await checkDirectory(root, directory, request)

  const candidates = configNames(request.applications, request.profiles).flatMap((name) =>
    EXTENSIONS.map(({ extension, format }) => {
      const fileName = `${name}.${extension}`
      const where = [...request.labelPath, fileName].join('/')
      return files.load(join(directory, fileName), where, format)
    }),
  )
  const propertySources: PropertySource[] = []
  for (const file of await Promise.all(candidates)) {
    if (file === undefined) continue
    // Within a file, a later document outranks an earlier one.
    for (const document of [...file.documents].reverse()) {
      if (!conditionMatches(document.onProfile, request.profiles)) continue
      propertySources.push({
        name: `file:${document.name}`,
        source: Object.fromEntries(document.source),
      })
    }
  }

  const content = {
    name: request.applications.join(','),
    profiles: request.profiles,
    label: request.label,
  }
  const version = createHash('sha256')
    .update(JSON.stringify({ ...content, propertySources }))
    .digest('hex')
  return { ...content, version, state: null, propertySources }
}

async function checkDirectory(
  root: string,
  directory: string,
  request: EnvironmentRequest,
): Promise<void> {
  const isDirectory = (path: string): Promise<boolean> =>
    stat(path).then(
      (stats) => stats.isDirectory(),
      () => false,
    )
  if (!(await isDirectory(directory))) {
    if (request.label !== null && (await isDirectory(root))) {
      throw new DevConfigError(
        404,
        'not_found',
        `no label ${JSON.stringify(request.label)}: the config directory has no such subdirectory`,
      )
    }
    throw new DevConfigError(500, 'config_dir_missing', 'the config directory does not exist')
  }
}
