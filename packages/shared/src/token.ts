import { join } from 'node:path'

/**
 * Where the sidecar writes the token it makes when `CONFIG_SIDECAR_TOKEN` is unset, and where the
 * app beside it reads it: a file named after the sidecar's port in the shared temp directory. In
 * Cloud Foundry both processes share the container's file system and environment, so both compute
 * the same path with no setting at all.
 */
export function defaultTokenPath(tmpDir: string, port: number): string {
  return join(tmpDir, `config-sidecar-${port}.token`)
}

/** The `Authorization` header value for a bearer token. */
export function bearer(token: string): string {
  return `Bearer ${token}`
}
