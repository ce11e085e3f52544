// The process settings: every environment variable main.ts reads, checked, with its default.
import { resolve } from 'node:path'
import { createEnvReader, LOG_LEVELS, SettingsError, unknownNames } from '@sample/shared'
import type { Env, LogLevel } from '@sample/shared'

/** Every variable the process reads, with its default (the README table follows this list). */
export const SETTINGS = [
  { name: 'PORT', default: '8888', meaning: 'listening port; 0 picks a free one' },
  { name: 'DEV_CONFIG_HOST', default: '127.0.0.1', meaning: 'address to bind' },
  {
    name: 'DEV_CONFIG_DIR',
    default: 'samples/config',
    meaning: 'config directory, resolved against the working directory',
  },
  {
    name: 'DEV_CONFIG_CLIENTS',
    default: 'none (config routes open)',
    meaning: 'OAuth2 clients as id:secret,id2:secret2',
  },
  { name: 'DEV_CONFIG_TOKEN_TTL', default: '300', meaning: 'token lifetime in seconds' },
  {
    name: 'DEV_CONFIG_LOG_LEVEL',
    default: 'info',
    meaning: 'debug, info, warn or error (polls that change nothing log at debug)',
  },
] as const

export interface Settings {
  readonly port: number
  readonly host: string
  readonly dir: string
  readonly clients: Readonly<Record<string, string>>
  readonly tokenTtlSeconds: number
  readonly logLevel: LogLevel
}

export interface LoadedSettings {
  readonly settings: Settings
  /** Things worth a warning that do not stop the start (unknown DEV_CONFIG_* names). */
  readonly notices: readonly string[]
}

const MAX_TTL_SECONDS = 86_400

export function loadSettings(env: Env, cwd: string): LoadedSettings {
  const reader = createEnvReader(env)

  const rawPort = reader.string('PORT')
  let port = 8888
  if (rawPort !== undefined) {
    port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN
    if (!(port >= 0 && port <= 65_535)) {
      reader.problem(`PORT must be a port number from 0 to 65535 (got ${JSON.stringify(rawPort)})`)
    }
  }

  const rawTtl = reader.string('DEV_CONFIG_TOKEN_TTL')
  let tokenTtlSeconds = 300
  if (rawTtl !== undefined) {
    tokenTtlSeconds = /^\d{1,6}$/.test(rawTtl) ? Number(rawTtl) : Number.NaN
    if (!(tokenTtlSeconds >= 1 && tokenTtlSeconds <= MAX_TTL_SECONDS)) {
      reader.problem(
        `DEV_CONFIG_TOKEN_TTL must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (got ${JSON.stringify(rawTtl)})`,
      )
    }
  }

  const clients: Record<string, string> = Object.create(null) as Record<string, string>
  const rawClients = reader.string('DEV_CONFIG_CLIENTS')
  if (rawClients !== undefined) {
    rawClients.split(',').forEach((entry, index) => {
      const trimmed = entry.trim()
      if (trimmed === '') return
      const colon = trimmed.indexOf(':')
      const id = colon === -1 ? '' : trimmed.slice(0, colon).trim()
      const secret = colon === -1 ? '' : trimmed.slice(colon + 1)
      if (id === '' || secret === '') {
        // The entry itself may be a secret typed in the wrong place: it is never quoted.
        reader.problem(
          `DEV_CONFIG_CLIENTS entry ${index + 1} must be id:secret with a non-empty id and secret (entries are separated by commas)`,
        )
      } else if (Object.hasOwn(clients, id)) {
        reader.problem(`DEV_CONFIG_CLIENTS names client ${JSON.stringify(id)} twice`)
      } else {
        clients[id] = secret
      }
    })
  }

  const logLevel = reader.oneOf('DEV_CONFIG_LOG_LEVEL', LOG_LEVELS, 'info')

  const notices = unknownNames(
    env,
    'DEV_CONFIG_',
    SETTINGS.map((setting) => setting.name),
  ).map((name) => `${name} is not a dev-config-server setting (ignored); is it a typo?`)

  // Every bad value at once, one sentence each naming the variable and the valid form; never a secret.
  if (reader.problems.length > 0) throw new SettingsError(reader.problems)
  return {
    settings: {
      port,
      host: reader.string('DEV_CONFIG_HOST') ?? '127.0.0.1',
      dir: resolve(cwd, reader.string('DEV_CONFIG_DIR') ?? 'samples/config'),
      clients: { ...clients },
      tokenTtlSeconds,
      logLevel,
    },
    notices,
  }
}
