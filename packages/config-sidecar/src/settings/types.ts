// The sidecar's settings as types: what loadSettings (settings.ts) returns.
import type { ValueRef } from '@sample/shared'
import type { LogLevel } from '../support/logger.js'
import type { Format } from './formats.js'

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
  /** Read the token from this file (CONFIG_SIDECAR_TOKEN=file:<path>). */
  | { readonly kind: 'file'; readonly path: string }
  /** Make a token and write it to `path` in `dir`, the user's private directory, once bound. */
  | { readonly kind: 'generated'; readonly path: string; readonly dir: string }

export interface Settings {
  readonly port: number
  readonly healthPort: number | undefined
  readonly source: SourceSettings
  readonly keys: ValueRef | undefined
  readonly pollIntervalMs: number
  readonly localAuth: LocalAuth
  readonly cacheDir: string
  /** True when CONFIG_CACHE_DIR is unset: the directory is made 0700 and its owner checked. */
  readonly cacheDirIsDefault: boolean
  readonly maxStalenessMs: number | undefined
  readonly logLevel: LogLevel
  /** CONFIG_WRITE_FILE: where every accepted config is also written. */
  readonly writeFiles: readonly WriteFile[]
  /** CONFIG_ON_CHANGE: run by /bin/sh -c after the files of a changed config are written. */
  readonly onChange: string | undefined
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
  /** The user id the private directory is named after (default: the process's). */
  readonly uid?: number | undefined
}

/** A file every accepted config is also written to (CONFIG_WRITE_FILE). */
export interface WriteFile {
  readonly path: string
  readonly format: Format
}
