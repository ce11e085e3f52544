// The sidecar's settings: the types, and the one function that reads them from an environment. The
// catalogue of names is in catalogue.ts; the source and its credentials in source-settings.ts (with
// Cloud Foundry discovery in cloud-foundry.ts); local-caller auth in local-auth.ts; config as files
// in write-files.ts.
import { join, resolve } from 'node:path'
import { SettingsError, createEnvReader, privateDir, unknownNames } from '@sample/shared'
import type { Env } from '@sample/shared'
import { LOG_LEVELS } from '../support/logger.js'
import { SETTINGS } from './catalogue.js'
import { readLocalAuth } from './local-auth.js'
import { readSource } from './source-settings.js'
import { readWriteFiles } from './write-files.js'
import type { LoadContext, LoadedSettings, SourceSettings } from './types.js'

export { SETTINGS } from './catalogue.js'
export type { SettingName } from './catalogue.js'

export type {
  LoadContext,
  LoadedSettings,
  LocalAuth,
  Settings,
  SourceSettings,
  UpstreamAuth,
  WriteFile,
} from './types.js'
export { FORMATS, formatOfPath } from './formats.js'
export type { Format } from './formats.js'

const POLL_RANGE = { minMs: 100, maxMs: 24 * 3_600_000 }
const STALENESS_RANGE = { minMs: 1000, maxMs: 365 * 24 * 3_600_000 }

/**
 * Reads the sidecar's settings from an environment. The caller passes `process.env` and the temp
 * directory; the only look at the file system is whether CONFIG_WRITE_FILE's directories exist.
 * Every problem is collected and thrown at once as a {@link SettingsError}.
 */
export function loadSettings(env: Env, context: LoadContext): LoadedSettings {
  const read = createEnvReader(env)
  const notices: string[] = []
  const known = SETTINGS.map((setting) => setting.name)
  for (const name of unknownNames(env, 'CONFIG_', known)) {
    const near = nearestName(name, known)
    notices.push(
      near === undefined
        ? `${name} is not a known setting and is ignored (known: ${known.join(', ')})`
        : `${name} is not a known setting and is ignored: did you mean ${near}?`,
    )
  }

  const port = read.port('CONFIG_SERVER_PORT', 8082)
  const healthPortRaw = read.string('CONFIG_HEALTH_PORT')
  const healthPort = healthPortRaw === undefined ? undefined : read.port('CONFIG_HEALTH_PORT', 0)
  if (healthPort !== undefined && healthPort === port) {
    read.problem('CONFIG_HEALTH_PORT must differ from CONFIG_SERVER_PORT')
  }

  const usingDefault = { source: false }
  const source = readSource(read, env, context, notices, usingDefault)
  if (source !== undefined) notices.push(...plainHttpCredentials(source))
  let keys = read.valueRef('CONFIG_KEYS')
  if (keys === undefined && usingDefault.source && context.defaultKeys !== undefined) {
    keys = { kind: 'file', path: resolve(context.cwd, context.defaultKeys) }
  }
  if (keys?.kind === 'inline' && !keys.value.startsWith('{')) {
    read.problem(
      'CONFIG_KEYS must be a JWK Set as JSON ({"keys":[…]}) or file:<path> (value hidden)',
    )
  }
  if (keys?.kind === 'file') keys = { kind: 'file', path: resolve(context.cwd, keys.path) }

  const pollIntervalMs = read.duration('CONFIG_POLL_INTERVAL', 30_000, POLL_RANGE)
  const maxStalenessMs = read.optionalDuration('CONFIG_MAX_STALENESS', STALENESS_RANGE)
  const ownDir = privateDir(env, context.tmpDir, context.uid ?? process.getuid?.() ?? 0)
  const cacheDirSetting = read.string('CONFIG_CACHE_DIR')
  const cacheDir = resolve(context.cwd, cacheDirSetting ?? join(ownDir, 'config-sidecar-cache'))
  const logLevel = read.oneOf('CONFIG_LOG_LEVEL', LOG_LEVELS, 'info')
  const localAuth = readLocalAuth(read, context, port, ownDir, notices)
  const writeFiles = readWriteFiles(read, context)
  const onChange = read.string('CONFIG_ON_CHANGE')
  if (onChange !== undefined && writeFiles.length === 0) {
    notices.push(
      'CONFIG_ON_CHANGE runs after the files of CONFIG_WRITE_FILE are written; it is set without them and runs after every change',
    )
  }

  if (read.problems.length > 0) throw new SettingsError(read.problems)
  if (source === undefined) throw new SettingsError(['no config source (internal error)'])
  return {
    settings: {
      port,
      healthPort,
      source,
      keys,
      pollIntervalMs,
      localAuth,
      cacheDir,
      cacheDirIsDefault: cacheDirSetting === undefined,
      maxStalenessMs,
      logLevel,
      writeFiles,
      onChange,
    },
    notices,
  }
}

/**
 * Warnings for credentials that would travel over plain http:// to a host that is not loopback,
 * where anyone on the path can read them.
 */
export function plainHttpCredentials(source: SourceSettings): string[] {
  if (source.kind !== 'http' || source.auth.kind === 'none') return []
  const exposed = (url: URL): boolean => url.protocol === 'http:' && !isLoopbackName(url.hostname)
  const warnings: string[] = []
  const what = source.auth.kind === 'bearer' ? 'the bearer token' : 'the OAuth2 access token'
  if (exposed(source.url))
    warnings.push(`${what} is sent over plain http:// to ${source.url.host}: use https://`)
  if (source.auth.kind === 'client-credentials' && exposed(source.auth.tokenUrl))
    warnings.push(
      `the OAuth2 client secret is sent over plain http:// to ${source.auth.tokenUrl.host}: use https://`,
    )
  return warnings
}

function isLoopbackName(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname) ||
    hostname === '[::1]'
  )
}

/** The known name nearest to a misspelt one (at most 3 edits away, and less than half its length). */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (
      distance <= 3 &&
      distance < name.length / 2 &&
      (best === undefined || distance < best.distance)
    )
      best = { name: candidate, distance }
  }
  return best?.name
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}
