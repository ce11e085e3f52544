import { join } from 'node:path'
import type { Env } from './env.js'

/**
 * The directory of the current user's alone where the sidecar writes the token it makes (and keeps
 * its snapshot unless `CONFIG_CACHE_DIR` says otherwise): `$XDG_RUNTIME_DIR` when set, else
 * `<tmpdir>/config-sidecar-<uid>`, which the sidecar makes with mode 0700. In Cloud Foundry and
 * Kubernetes both processes of the pair run as the same user with the same environment, so both
 * compute the same path with no setting at all.
 */
export function privateDir(env: Env, tmpDir: string, uid: number): string {
  const runtime = env['XDG_RUNTIME_DIR']
  return runtime !== undefined && runtime.startsWith('/')
    ? runtime
    : join(tmpDir, `config-sidecar-${uid}`)
}

/** Where the sidecar writes the token it makes, and where the app beside it reads it. */
export function defaultTokenPath(dir: string, port: number): string {
  return join(dir, `config-sidecar-${port}.token`)
}

/** The `Authorization` header value for a bearer token. */
export function bearer(token: string): string {
  return `Bearer ${token}`
}
