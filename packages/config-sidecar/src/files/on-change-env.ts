// The environment CONFIG_ON_CHANGE runs with: the sidecar's own, without the credentials only the
// sidecar needs, plus what describes the change. Extend `changeVariables` to pass more.
import type { ServedConfig } from '../state/served-config.js'
import { LISTED_PATHS, changedKeys, changesBetween } from '../state/changes.js'

/** One run of the command covers the change from the config of the run before to this one. */
export interface ChangeToReport {
  /** The config the previous run covered; undefined for the first run of this process. */
  readonly from: ServedConfig | undefined
  readonly to: ServedConfig
}

/**
 * Variables the command does not inherit: the private keys, the upstream credentials (set, or in
 * Cloud Foundry's `VCAP_SERVICES`) and the local-caller token. The command's output goes to the
 * log, and a stray `env` in it must not put them there.
 */
const WITHHELD = [
  'CONFIG_KEYS',
  'CONFIG_CLIENT_SECRET',
  'CONFIG_BEARER_TOKEN',
  'CONFIG_SIDECAR_TOKEN',
  'VCAP_SERVICES',
]

/**
 * The variables that describe a change: `CONFIG_VERSION`, the version now served (the upstream's,
 * or a hash of the bytes as fetched: never derived from a decrypted value); after an earlier run,
 * `CONFIG_CHANGED_KEYS`, the paths added, removed or changed since the config it covered (one a
 * line, sorted, at most 100: never a value), and `CONFIG_CHANGED_KEYS_MORE`, how many more. The
 * first run of a process has nothing to compare with: neither is set.
 */
export function changeVariables(change: ChangeToReport): Record<string, string> {
  if (change.from === undefined) return { CONFIG_VERSION: change.to.version }
  const keys = changedKeys(changesBetween(change.from, change.to))
  return {
    CONFIG_VERSION: change.to.version,
    CONFIG_CHANGED_KEYS: keys.slice(0, LISTED_PATHS).join('\n'),
    CONFIG_CHANGED_KEYS_MORE: String(Math.max(0, keys.length - LISTED_PATHS)),
  }
}

/** The command's environment: `base` (the sidecar's) without {@link WITHHELD}, plus the change. */
export function onChangeEnvironment(
  base: NodeJS.ProcessEnv,
  change: ChangeToReport,
): NodeJS.ProcessEnv {
  const inherited = Object.entries(base).filter(([name]) => !WITHHELD.includes(name))
  return { ...Object.fromEntries(inherited), ...changeVariables(change) }
}
