// A label holding `/` end to end: the sidecar, bound to a config server the way Cloud Foundry binds
// one (VCAP_SERVICES), asks for `release/1.0` as `release(_)1.0`, as Spring's own client does, and
// the dev config server maps it back to the label's directory. Both run in this process on port 0.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '../../packages/config-sidecar/src/support/logger.js'
import { afterEach, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { waitFor } from '../../test-support/wait.js'
import { loadSettings } from '../../packages/config-sidecar/src/settings/settings.js'
import { createSidecar } from '../../packages/config-sidecar/src/sidecar.js'
import type { Sidecar } from '../../packages/config-sidecar/src/sidecar.js'
import { createDevConfigServer } from '../../packages/dev-config-server/src/server.js'
import type { DevConfigServer } from '../../packages/dev-config-server/src/server.js'

let upstream: DevConfigServer | undefined
let sidecar: Sidecar | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
afterEach(async () => {
  await sidecar?.stop()
  await upstream?.stop()
  await dir?.remove()
})

it('serves the config of a label with a slash from a bound config server', async () => {
  dir = await tempDir()
  const config = join(dir.path, 'config')
  await mkdir(join(config, 'release', '1.0'), { recursive: true })
  await writeFile(join(config, 'orders.yml'), 'greeting: from the default label\n')
  await writeFile(join(config, 'release', '1.0', 'orders.yml'), 'greeting: from release/1.0\n')
  upstream = createDevConfigServer({ dir: config, port: 0, logger: silentLogger })
  const { url } = await upstream.start()

  const { settings } = loadSettings(
    {
      VCAP_APPLICATION: JSON.stringify({ application_name: 'orders' }),
      VCAP_SERVICES: JSON.stringify({
        'p.config-server': [
          { name: 'config', label: 'p.config-server', credentials: { uri: url } },
        ],
      }),
      CONFIG_LABEL: 'release/1.0',
      CONFIG_SIDECAR_TOKEN: 'label-test-token-0123456789',
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
    },
    { tmpDir: dir.path, cwd: dir.path },
  )
  expect(settings.source).toMatchObject({ display: `${url}/orders/default/release(_)1.0` })
  sidecar = await createSidecar({ ...settings, port: 0 }, { logger: silentLogger })
  const started = await sidecar.start()
  const outcome = await started.firstRefresh
  expect(outcome.error).toBeUndefined()
  const served = await waitFor(async () => {
    const answer = await fetch(`${started.url}/config/`, {
      headers: { authorization: `Bearer ${started.token!}` },
    })
    return answer.status === 200 ? ((await answer.json()) as { greeting: string }) : undefined
  })
  expect(served.greeting).toBe('from release/1.0')
})
