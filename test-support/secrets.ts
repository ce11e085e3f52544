// The secret scan: every place a secret must never reach (the process output, /status, /metrics,
// the redacted config, the files of the cache directory) read from a running built sidecar, and the
// check that none of them holds any of the given secrets.
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { SidecarProcess } from './processes.js'

/** Every place a secret must not be, by name: the process output, /status, /metrics, the cache. */
export async function outputsOf(
  sidecar: SidecarProcess,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const outputs: Record<string, string> = { log: sidecar.proc.output(), ...extra }
  // A check of outputs that could not be read would pass without checking: a sidecar that died,
  // or a cache that cannot be listed, fails here instead.
  expect(sidecar.alive(), 'the sidecar is still running when its outputs are checked').toBe(true)
  outputs['/status'] = (await sidecar.get('/status')).body
  outputs['/metrics'] = await sidecar.metrics()
  outputs['/config/?redact'] = (await sidecar.get('/config/?redact')).body
  const files = await readdir(sidecar.cacheDir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[]
    throw error
  })
  // Files only: the compile cache is a directory of compiled code, not config.
  for (const file of files) {
    const path = join(sidecar.cacheDir, file)
    if ((await stat(path)).isFile()) outputs[`cache/${file}`] = await readFile(path, 'utf8')
  }
  return outputs
}

/** Fails the test when any of `secrets` is in any of `outputs`, naming where. */
export function expectNoSecrets(
  outputs: Record<string, string>,
  secrets: readonly (string | undefined)[],
): void {
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue
    for (const [where, text] of Object.entries(outputs)) {
      expect(text.includes(secret), `a secret (${secret.slice(0, 6)}…) is in ${where}`).toBe(false)
    }
  }
}
