// Where config comes from, as settings: CONFIG_SOURCE or a bound config server, and the upstream's
// credentials (OAuth2 client credentials or a bearer token). URLs are shown without credentials.
import { isAbsolute, resolve } from 'node:path'
import type { Env, EnvReader } from '@sample/shared'
import {
  applicationName,
  authFromBinding,
  findConfigServerBinding,
  springPath,
} from './cloud-foundry.js'
import type { LoadContext, SourceSettings, UpstreamAuth } from './types.js'
import { displayRaw, displayUrl, parseHttpUrl } from './urls.js'

export function readSource(
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
  // A bound config server without credentials or a uri: its problem says so, and asking for a
  // CONFIG_SOURCE or a binding as well would send the reader to the wrong fix.
  if (binding === 'broken') return undefined
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
    const url = new URL(`${base.href.replace(/\/+$/, '')}/${springPath(app, profile, label)}`)
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
