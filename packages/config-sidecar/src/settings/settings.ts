import { isAbsolute, join, resolve } from 'node:path'
import { createEnvReader, defaultTokenPath, SettingsError, unknownNames } from '@sample/shared'
import type { Env, EnvReader, ValueRef } from '@sample/shared'
import { LOG_LEVELS } from '../support/logger.js'
import type { LogLevel } from '../support/logger.js'

/** Every setting the sidecar reads, with its default and meaning (the README table is checked against it). */
export const SETTINGS = [
  { name: 'CONFIG_SERVER_PORT', default: '`8082`', meaning: 'port of the listener on 127.0.0.1' },
  {
    name: 'CONFIG_SOURCE',
    default: 'from `VCAP_SERVICES`',
    meaning: '`file:<path>` (JSON or YAML file, or a directory of them) or an `http(s)://` URL',
  },
  {
    name: 'CONFIG_APP_NAME',
    default: 'from `VCAP_APPLICATION`',
    meaning: 'Spring Cloud Config application name',
  },
  { name: 'CONFIG_PROFILE', default: '`default`', meaning: 'Spring Cloud Config profile(s)' },
  { name: 'CONFIG_LABEL', default: 'none', meaning: 'Spring Cloud Config label (branch, tag)' },
  {
    name: 'CONFIG_CLIENT_ID',
    default: 'from `VCAP_SERVICES`',
    meaning: 'OAuth2 client id for the upstream',
  },
  {
    name: 'CONFIG_CLIENT_SECRET',
    default: 'from `VCAP_SERVICES`',
    meaning: 'OAuth2 client secret (`file:<path>` allowed)',
  },
  { name: 'CONFIG_TOKEN_URL', default: 'from `VCAP_SERVICES`', meaning: 'OAuth2 token endpoint' },
  {
    name: 'CONFIG_BEARER_TOKEN',
    default: 'none',
    meaning: 'static bearer token for the upstream (`file:<path>` allowed)',
  },
  {
    name: 'CONFIG_KEYS',
    default: 'none',
    meaning: 'JWK Set with the private key(s) for secrets, JSON or `file:<path>`',
  },
  {
    name: 'CONFIG_POLL_INTERVAL',
    default: '`30s`',
    meaning: 'how often a source is checked (±10% jitter)',
  },
  {
    name: 'CONFIG_SIDECAR_TOKEN',
    default: 'generated',
    meaning: 'token local callers send as `Authorization: Bearer`; a value or `file:<path>`',
  },
  {
    name: 'CONFIG_CACHE_DIR',
    default: '`<tmp>/config-sidecar-cache`',
    meaning: 'where the last-known-good snapshot lives',
  },
  {
    name: 'CONFIG_MAX_STALENESS',
    default: 'unlimited',
    meaning: 'past this age without a good refresh, 503',
  },
  {
    name: 'CONFIG_SIDECAR_AUTH',
    default: '`token`',
    meaning: '`none` turns local-caller tokens off (local experiments only)',
  },
  {
    name: 'CONFIG_HEALTH_PORT',
    default: 'none',
    meaning: 'extra listener on all interfaces for `/livez` and `/readyz` only',
  },
  { name: 'CONFIG_LOG_LEVEL', default: '`info`', meaning: '`debug`, `info`, `warn` or `error`' },
] as const

export type SettingName = (typeof SETTINGS)[number]['name']

/** Where config comes from. */
export type SourceSettings =
  | { readonly kind: 'file'; readonly path: string; readonly display: string }
  | {
      readonly kind: 'http'
      readonly url: URL
      /** The URL without credentials or query, safe to show in logs and /status. */
      readonly display: string
      readonly auth: UpstreamAuth
      /** `CONFIG_SOURCE`, a config server found in `VCAP_SERVICES`, or the fallback given on the command line. */
      readonly origin: 'CONFIG_SOURCE' | 'VCAP_SERVICES'
    }

export type UpstreamAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: ValueRef }
  | {
      readonly kind: 'client-credentials'
      readonly clientId: string
      readonly clientSecret: ValueRef
      readonly tokenUrl: URL
    }

/** How local callers authenticate to the sidecar. */
export type LocalAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'inline'; readonly token: string }
  /** Read the token from the file, or make one and write it there when the file does not exist. */
  | { readonly kind: 'file'; readonly path: string; readonly generated: boolean }

export interface Settings {
  readonly port: number
  readonly healthPort: number | undefined
  readonly source: SourceSettings
  readonly keys: ValueRef | undefined
  readonly pollIntervalMs: number
  readonly localAuth: LocalAuth
  readonly cacheDir: string
  readonly maxStalenessMs: number | undefined
  readonly logLevel: LogLevel
}

/** Settings plus the notices to log at start (unknown names, settings that do not apply). */
export interface LoadedSettings {
  readonly settings: Settings
  readonly notices: readonly string[]
}

export interface LoadContext {
  /** The OS temp directory (`os.tmpdir()`). */
  readonly tmpDir: string
  /** The working directory relative `file:` paths resolve against. */
  readonly cwd: string
  /** Used when neither CONFIG_SOURCE nor a bound config server gives a source (the shipped sample). */
  readonly defaultSource?: string | undefined
  /** Keys used together with `defaultSource` only (the shipped demo key). */
  readonly defaultKeys?: string | undefined
}

const POLL_RANGE = { minMs: 100, maxMs: 24 * 3_600_000 }
const STALENESS_RANGE = { minMs: 1000, maxMs: 365 * 24 * 3_600_000 }
const TOKEN_FORM = /^[A-Za-z0-9\-._~+/=]{16,}$/
const CONFIG_SERVER_LABELS = new Set(['p.config-server', 'p-config-server'])

/**
 * Reads the sidecar's settings from an environment. Pure: the caller passes `process.env` and the
 * temp directory. Every problem is collected and thrown at once as a {@link SettingsError}.
 */
export function loadSettings(env: Env, context: LoadContext): LoadedSettings {
  const read = createEnvReader(env)
  const notices: string[] = []
  const known = SETTINGS.map((setting) => setting.name)
  for (const name of unknownNames(env, 'CONFIG_', known)) {
    notices.push(`${name} is not a known setting and is ignored (known: ${known.join(', ')})`)
  }

  const port = read.port('CONFIG_SERVER_PORT', 8082)
  const healthPortRaw = read.string('CONFIG_HEALTH_PORT')
  const healthPort = healthPortRaw === undefined ? undefined : read.port('CONFIG_HEALTH_PORT', 0)
  if (healthPort !== undefined && healthPort === port) {
    read.problem('CONFIG_HEALTH_PORT must differ from CONFIG_SERVER_PORT')
  }

  const usingDefault = { source: false }
  const source = readSource(read, env, context, notices, usingDefault)
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
  const cacheDir = resolve(
    context.cwd,
    read.string('CONFIG_CACHE_DIR') ?? join(context.tmpDir, 'config-sidecar-cache'),
  )
  const logLevel = read.oneOf('CONFIG_LOG_LEVEL', LOG_LEVELS, 'info')
  const localAuth = readLocalAuth(read, context, port, notices)

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
      maxStalenessMs,
      logLevel,
    },
    notices,
  }
}

function readLocalAuth(
  read: EnvReader,
  context: LoadContext,
  port: number,
  notices: string[],
): LocalAuth {
  const mode = read.oneOf('CONFIG_SIDECAR_AUTH', ['token', 'none'] as const, 'token')
  const token = read.valueRef('CONFIG_SIDECAR_TOKEN')
  if (mode === 'none') {
    if (token !== undefined)
      notices.push('CONFIG_SIDECAR_TOKEN is ignored: CONFIG_SIDECAR_AUTH is none')
    notices.push(
      'CONFIG_SIDECAR_AUTH is none: any local process may read the config; use this only for local experiments',
    )
    return { kind: 'none' }
  }
  if (token === undefined) {
    return { kind: 'file', path: defaultTokenPath(context.tmpDir, port), generated: true }
  }
  if (token.kind === 'file')
    return { kind: 'file', path: resolve(context.cwd, token.path), generated: false }
  if (!TOKEN_FORM.test(token.value)) {
    read.problem(
      'CONFIG_SIDECAR_TOKEN must be at least 16 characters from A-Z a-z 0-9 - . _ ~ + / =, or file:<path> (value hidden)',
    )
  }
  return { kind: 'inline', token: token.value }
}

function readSource(
  read: EnvReader,
  env: Env,
  context: LoadContext,
  notices: string[],
  usingDefault: { source: boolean },
): SourceSettings | undefined {
  const raw = read.string('CONFIG_SOURCE')
  const auth = readExplicitAuth(read)
  const coordinates = ['CONFIG_APP_NAME', 'CONFIG_PROFILE', 'CONFIG_LABEL'] as const

  if (raw !== undefined) {
    for (const name of coordinates) {
      if (read.string(name) !== undefined)
        notices.push(`${name} is ignored: CONFIG_SOURCE names the source`)
    }
    return parseSource(read, 'CONFIG_SOURCE', raw, auth ?? { kind: 'none' }, context, notices)
  }

  const binding = findConfigServerBinding(read)
  if (binding !== undefined) {
    const app = read.string('CONFIG_APP_NAME') ?? applicationName(env)
    if (app === undefined) {
      read.problem('CONFIG_APP_NAME must be set: VCAP_APPLICATION gives no application name')
      return undefined
    }
    const profile = read.string('CONFIG_PROFILE') ?? 'default'
    const label = read.string('CONFIG_LABEL')
    const base = parseHttpUrl(
      read,
      `VCAP_SERVICES credentials.uri of "${binding.name}"`,
      binding.uri,
    )
    if (base === undefined) return undefined
    const path = [app, profile, label].filter((part) => part !== undefined).map(encodeURIComponent)
    const url = new URL(`${base.href.replace(/\/+$/, '')}/${path.join('/')}`)
    const bindingAuth = auth ?? authFromBinding(read, binding)
    return {
      kind: 'http',
      url,
      display: displayUrl(url),
      auth: bindingAuth,
      origin: 'VCAP_SERVICES',
    }
  }

  if (context.defaultSource !== undefined) {
    usingDefault.source = true
    notices.push(
      `no CONFIG_SOURCE and no config server bound: serving the sample at ${context.defaultSource}`,
    )
    return parseSource(
      read,
      '--default-source',
      context.defaultSource,
      { kind: 'none' },
      context,
      notices,
    )
  }
  read.problem(
    'CONFIG_SOURCE must be set to file:<path> or an http(s):// URL, or a config server must be bound (VCAP_SERVICES: p.config-server, p-config-server, or a service tagged "configuration")',
  )
  return undefined
}

function parseSource(
  read: EnvReader,
  name: string,
  raw: string,
  auth: UpstreamAuth,
  context: LoadContext,
  notices: string[],
): SourceSettings | undefined {
  if (raw.startsWith('file:')) {
    const path = raw.slice('file:'.length)
    if (path === '') {
      read.problem(`${name} must be file:<path> or an http(s):// URL (got "file:" with no path)`)
      return undefined
    }
    if (auth.kind !== 'none') notices.push('upstream credentials are ignored: the source is a file')
    const absolute = isAbsolute(path) ? path : resolve(context.cwd, path)
    return { kind: 'file', path: absolute, display: `file:${absolute}` }
  }
  if (/^https?:\/\//i.test(raw)) {
    const url = parseHttpUrl(read, name, raw)
    if (url === undefined) return undefined
    return { kind: 'http', url, display: displayUrl(url), auth, origin: 'CONFIG_SOURCE' }
  }
  read.problem(
    `${name} must be file:<path> or an http(s):// URL (got ${JSON.stringify(displayRaw(raw))})`,
  )
  return undefined
}

function readExplicitAuth(read: EnvReader): UpstreamAuth | undefined {
  const clientId = read.string('CONFIG_CLIENT_ID')
  const clientSecret = read.valueRef('CONFIG_CLIENT_SECRET')
  const tokenUrlRaw = read.string('CONFIG_TOKEN_URL')
  const bearerToken = read.valueRef('CONFIG_BEARER_TOKEN')
  const anyClient =
    clientId !== undefined || clientSecret !== undefined || tokenUrlRaw !== undefined

  if (anyClient && bearerToken !== undefined) {
    read.problem(
      'CONFIG_BEARER_TOKEN and CONFIG_CLIENT_ID/CONFIG_CLIENT_SECRET/CONFIG_TOKEN_URL exclude each other: set one way to authenticate',
    )
    return undefined
  }
  if (bearerToken !== undefined) return { kind: 'bearer', token: bearerToken }
  if (!anyClient) return undefined
  if (clientId === undefined || clientSecret === undefined || tokenUrlRaw === undefined) {
    const missing = [
      clientId === undefined ? 'CONFIG_CLIENT_ID' : undefined,
      clientSecret === undefined ? 'CONFIG_CLIENT_SECRET' : undefined,
      tokenUrlRaw === undefined ? 'CONFIG_TOKEN_URL' : undefined,
    ].filter((name) => name !== undefined)
    read.problem(
      `${missing.join(', ')} must be set too: OAuth2 client credentials need CONFIG_CLIENT_ID, CONFIG_CLIENT_SECRET and CONFIG_TOKEN_URL`,
    )
    return undefined
  }
  const tokenUrl = parseHttpUrl(read, 'CONFIG_TOKEN_URL', tokenUrlRaw)
  if (tokenUrl === undefined) return undefined
  return { kind: 'client-credentials', clientId, clientSecret, tokenUrl }
}

interface Binding {
  readonly name: string
  readonly uri: string
  readonly credentials: Readonly<Record<string, unknown>>
}

/** Finds a Spring Cloud Config server binding: label p.config-server / p-config-server, or tag "configuration". */
function findConfigServerBinding(read: EnvReader): Binding | undefined {
  const raw = read.string('VCAP_SERVICES')
  if (raw === undefined) return undefined
  let services: unknown
  try {
    services = JSON.parse(raw)
  } catch {
    read.problem('VCAP_SERVICES must be JSON, as Cloud Foundry sets it (could not parse it)')
    return undefined
  }
  if (typeof services !== 'object' || services === null) return undefined
  const instances = Object.values(services).flatMap((list: unknown) =>
    Array.isArray(list) ? (list as unknown[]) : [],
  )
  for (const instance of instances) {
    if (typeof instance !== 'object' || instance === null) continue
    const { label, tags, name, credentials } = instance as Record<string, unknown>
    const tagged = Array.isArray(tags) && tags.includes('configuration')
    if (!(typeof label === 'string' && CONFIG_SERVER_LABELS.has(label)) && !tagged) continue
    const serviceName = typeof name === 'string' ? name : String(label)
    if (typeof credentials !== 'object' || credentials === null) {
      read.problem(`VCAP_SERVICES service "${serviceName}" has no credentials`)
      return undefined
    }
    const uri = (credentials as Record<string, unknown>)['uri']
    if (typeof uri !== 'string') {
      read.problem(
        `VCAP_SERVICES service "${serviceName}" must have credentials.uri (the config server URL)`,
      )
      return undefined
    }
    return { name: serviceName, uri, credentials: credentials as Record<string, unknown> }
  }
  return undefined
}

function authFromBinding(read: EnvReader, binding: Binding): UpstreamAuth {
  const {
    client_id: clientId,
    client_secret: clientSecret,
    access_token_uri: tokenUri,
  } = binding.credentials
  if (
    typeof clientId === 'string' &&
    typeof clientSecret === 'string' &&
    typeof tokenUri === 'string'
  ) {
    const tokenUrl = parseHttpUrl(
      read,
      `VCAP_SERVICES credentials.access_token_uri of "${binding.name}"`,
      tokenUri,
    )
    if (tokenUrl !== undefined) {
      return {
        kind: 'client-credentials',
        clientId,
        clientSecret: { kind: 'inline', value: clientSecret },
        tokenUrl,
      }
    }
  }
  return { kind: 'none' }
}

function applicationName(env: Env): string | undefined {
  const raw = env['VCAP_APPLICATION']
  if (raw === undefined) return undefined
  try {
    const app = JSON.parse(raw) as Record<string, unknown>
    const name = app['application_name'] ?? app['name']
    return typeof name === 'string' && name !== '' ? name : undefined
  } catch {
    return undefined
  }
}

function parseHttpUrl(read: EnvReader, name: string, raw: string): URL | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    read.problem(`${name} must be an http(s):// URL (got ${JSON.stringify(displayRaw(raw))})`)
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    read.problem(`${name} must be an http(s):// URL (got ${JSON.stringify(displayUrl(url))})`)
    return undefined
  }
  return url
}

/** A URL without user info, query or fragment: safe for logs, /status and error messages. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/**
 * A raw value shown in a problem: the query and fragment (where tokens travel) and URL credentials
 * (up to the last `@`, so a `/` in a password does not stop the cut) are removed, anything long is
 * shortened.
 */
function displayRaw(raw: string): string {
  const withoutCredentials = raw.replace(/[?#].*$/s, '').replace(/\/\/.*@/s, '//')
  return withoutCredentials.length > 80
    ? `${withoutCredentials.slice(0, 77)}...`
    : withoutCredentials
}
