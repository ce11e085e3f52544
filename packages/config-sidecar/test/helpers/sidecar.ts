import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createLogger } from '../../src/support/logger.js'
import type { Logger } from '../../src/support/logger.js'
import { loadSettings } from '../../src/settings/settings.js'
import { createSidecar } from '../../src/sidecar.js'
import type { Sidecar, SidecarOptions, StartedSidecar } from '../../src/sidecar.js'

export interface TestSidecar extends StartedSidecar {
  readonly sidecar: Sidecar
  /** Log lines written so far. */
  readonly logs: string[]
  /** fetch() against the sidecar with the token (unless `headers.authorization` is given). */
  get(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

/**
 * Starts an in-process sidecar on a free port with an env like the real one. The token is fixed
 * and the cache directory is fresh unless the env says otherwise.
 */
export async function startSidecar(
  env: Record<string, string>,
  options: SidecarOptions & { logger?: Logger } = {},
): Promise<TestSidecar> {
  const logs: string[] = []
  // A cache directory of its own, removed at stop, unless the test brings one.
  const ownCache =
    env['CONFIG_CACHE_DIR'] === undefined
      ? join(tmpdir(), `config-sidecar-test-cache-${randomBytes(6).toString('hex')}`)
      : undefined
  const { settings } = loadSettings(
    {
      CONFIG_SERVER_PORT: '1',
      CONFIG_SIDECAR_TOKEN: 'test-token-0123456789abcdef',
      ...(ownCache === undefined ? {} : { CONFIG_CACHE_DIR: ownCache }),
      ...env,
    },
    { tmpDir: tmpdir(), cwd: process.cwd() },
  )
  const sidecar = await createSidecar(
    { ...settings, port: 0 },
    { logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }), ...options },
  )
  const started = await sidecar.start()
  return {
    ...started,
    sidecar,
    logs,
    get(path, init = {}) {
      const headers = new Headers(init.headers)
      if (!headers.has('authorization') && started.token !== undefined)
        headers.set('authorization', `Bearer ${started.token}`)
      return fetch(`${started.url}${path}`, { ...init, headers })
    },
    async stop() {
      await sidecar.stop()
      if (ownCache !== undefined) await rm(ownCache, { recursive: true, force: true })
    },
  }
}
