// The sidecar inside the test's own process (`startInProcessSidecar`): createSidecar with settings
// read from an env like the real one, listening on port 0, its log lines kept. The built sidecar as
// a child process is another thing: `spawnSidecar` in ./processes.ts.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSettings } from '../packages/config-sidecar/src/settings/settings.js'
import { createSidecar } from '../packages/config-sidecar/src/sidecar.js'
import type {
  Sidecar,
  SidecarOptions,
  StartedSidecar,
} from '../packages/config-sidecar/src/sidecar.js'
import { createLogger } from '../packages/config-sidecar/src/support/logger.js'
import type { Logger } from '../packages/config-sidecar/src/support/logger.js'

/** The fixed local token of an in-process sidecar, unless its env says otherwise. */
export const IN_PROCESS_TOKEN = 'test-token-0123456789abcdef'

export interface InProcessSidecar extends StartedSidecar {
  readonly sidecar: Sidecar
  /** Log lines written so far. */
  readonly logs: string[]
  /** fetch() against the sidecar with the token (unless `headers.authorization` is given). */
  get(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

/**
 * Starts a sidecar in this process on 127.0.0.1, port 0, with an env like the real one. The token
 * is fixed and the cache directory is fresh (removed at stop) unless the env says otherwise;
 * `healthListener` opens the health listener too, on port 0 (`healthPort` names it).
 */
export async function startInProcessSidecar(
  env: Record<string, string>,
  options: SidecarOptions & { logger?: Logger; healthListener?: boolean } = {},
): Promise<InProcessSidecar> {
  const { healthListener, ...sidecarOptions } = options
  const logs: string[] = []
  const ownCache =
    env['CONFIG_CACHE_DIR'] === undefined
      ? join(tmpdir(), `config-sidecar-test-cache-${randomBytes(6).toString('hex')}`)
      : undefined
  const { settings } = loadSettings(
    {
      // A number for the settings to read; the listener itself is on port 0 (below).
      CONFIG_SERVER_PORT: '1',
      CONFIG_SIDECAR_TOKEN: IN_PROCESS_TOKEN,
      ...(ownCache === undefined ? {} : { CONFIG_CACHE_DIR: ownCache }),
      ...env,
    },
    { tmpDir: tmpdir(), cwd: process.cwd() },
  )
  const sidecar = await createSidecar(
    { ...settings, port: 0, ...(healthListener === true ? { healthPort: 0 } : {}) },
    {
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
      ...sidecarOptions,
    },
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
