// The app's settings, from the environment: PORT, and the sidecar's port and token settings.
// Holds: loadAppSettings (bad values: the shared SettingsError). May import: @sample/shared. Never express, never got.
import { SettingsError, createEnvReader, defaultTokenPath, privateDir } from '@sample/shared'
import type { Env, ValueRef } from '@sample/shared'

export interface AppSettings {
  /** Port of the app's own listener (Cloud Foundry sets PORT). */
  readonly port: number
  /** Base URL of the sidecar: always loopback. */
  readonly sidecarUrl: string
  readonly sidecarPort: number
  /** Where the token for the sidecar comes from; undefined when tokens are turned off. */
  readonly token: ValueRef | undefined
}

/**
 * The app's settings: PORT, and the sidecar's CONFIG_SERVER_PORT, CONFIG_SIDECAR_TOKEN and
 * CONFIG_SIDECAR_AUTH, which the app shares with the sidecar beside it. With no token set, the app
 * reads the file the sidecar writes (see @sample/shared defaultTokenPath).
 */
export function loadAppSettings(
  env: Env,
  context: { tmpDir: string; uid?: number | undefined },
): AppSettings {
  const read = createEnvReader(env)
  const port = read.port('PORT', 8080)
  const sidecarPort = read.port('CONFIG_SERVER_PORT', 8082)
  const auth = read.oneOf('CONFIG_SIDECAR_AUTH', ['token', 'none'] as const, 'token')
  const explicit = read.valueRef('CONFIG_SIDECAR_TOKEN')
  if (read.problems.length > 0) throw new SettingsError(read.problems)
  const token: ValueRef | undefined =
    auth === 'none'
      ? undefined
      : (explicit ?? {
          kind: 'file',
          path: defaultTokenPath(
            privateDir(env, context.tmpDir, context.uid ?? process.getuid?.() ?? 0),
            sidecarPort,
          ),
        })
  return { port, sidecarPort, sidecarUrl: `http://127.0.0.1:${sidecarPort}`, token }
}
