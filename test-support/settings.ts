// The sidecar's settings in tests: the context every settings test reads them in, and the problems
// loadSettings reports for an env (none when it accepts it).
import { loadSettings } from '../packages/config-sidecar/src/settings/settings.js'
import type { LoadContext } from '../packages/config-sidecar/src/settings/types.js'

/** A container's context: a fixed temp dir, working directory and user. */
export const SETTINGS_CONTEXT = { tmpDir: '/tmp', cwd: '/srv/app', uid: 1000 } as const

/**
 * The problems loadSettings reports for `env`, or [] when it accepts it. Any other error is thrown
 * on. (The error is recognised by its name: this file reaches the shared package by a relative
 * path, so its SettingsError class is not the one the sidecar's source throws.)
 */
export function settingsProblems(
  env: Record<string, string>,
  context: Partial<LoadContext> = {},
): readonly string[] {
  try {
    loadSettings(env, { ...SETTINGS_CONTEXT, ...context })
  } catch (error) {
    if (error instanceof Error && error.name === 'SettingsError' && 'problems' in error)
      return error.problems as readonly string[]
    throw error
  }
  return []
}
