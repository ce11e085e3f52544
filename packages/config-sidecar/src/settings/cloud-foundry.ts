// Cloud Foundry discovery: a Spring Cloud Config server bound in VCAP_SERVICES, its credentials, the
// application name from VCAP_APPLICATION, and the Spring coordinates path built from them.
import type { Env, EnvReader } from '@sample/shared'
import type { UpstreamAuth } from './types.js'
import { parseHttpUrl } from './urls.js'

const CONFIG_SERVER_LABELS = new Set(['p.config-server', 'p-config-server'])

export interface Binding {
  readonly name: string
  readonly uri: string
  readonly credentials: Readonly<Record<string, unknown>>
}

/**
 * Finds a Spring Cloud Config server binding: label p.config-server / p-config-server, or tag
 * "configuration". `'broken'`: one is bound, but without what it needs (the problem is recorded).
 */
export function findConfigServerBinding(read: EnvReader): Binding | 'broken' | undefined {
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
      return 'broken'
    }
    const uri = (credentials as Record<string, unknown>)['uri']
    if (typeof uri !== 'string') {
      read.problem(
        `VCAP_SERVICES service "${serviceName}" must have credentials.uri (the config server URL)`,
      )
      return 'broken'
    }
    return { name: serviceName, uri, credentials: credentials as Record<string, unknown> }
  }
  return undefined
}

export function authFromBinding(read: EnvReader, binding: Binding): UpstreamAuth {
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

export function applicationName(env: Env): string | undefined {
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

/**
 * The Spring Cloud Config path `/{application}/{profile}[/{label}]`. A label holding `/` (a git
 * branch like `release/1.0`) is sent with `(_)` in its place, as Spring's own client does: config
 * servers commonly refuse an encoded slash.
 */
export function springPath(app: string, profile: string, label: string | undefined): string {
  const parts = [app, profile, label?.replaceAll('/', '(_)')].filter((part) => part !== undefined)
  return parts.map((part) => encodeURIComponent(part)).join('/')
}
