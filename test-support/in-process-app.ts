// The demo app inside the test's own process (`startInProcessApp`): its express app and its page on
// 127.0.0.1, port 0, talking to a sidecar on a given port (often ./fake-sidecar.ts), its log lines
// kept, closed after the test. The built app as a child process is `spawnApp` in ./processes.ts.
import { createApp } from '../packages/demo-app/src/app.js'
import { createPage } from '../packages/demo-app/src/page/page.js'
import type { PageOptions } from '../packages/demo-app/src/page/page.js'
import { createSidecarClient } from '../packages/demo-app/src/sidecar-client.js'
import { createSidecarState } from '../packages/demo-app/src/sidecar-state.js'
import { createLogger } from '../packages/shared/src/index.js'
import { listen, onCleanup } from './servers.js'

/** Where the app reads its token for the sidecar. */
export type TokenRef = { kind: 'file'; path: string } | { kind: 'inline'; value: string }

/** The demo app in process (with its page), talking to a sidecar on `sidecarPort`. */
export async function startInProcessApp(
  sidecarPort: number,
  options: { token?: TokenRef; page?: PageOptions } = {},
): Promise<{ url: string; port: number; logs: string[] }> {
  const logs: string[] = []
  const logger = createLogger({ write: (line) => logs.push(line) })
  const sidecar = createSidecarClient(`http://127.0.0.1:${sidecarPort}`, options.token)
  const state = createSidecarState(sidecar, logger)
  const page = createPage({ sidecar, state, logger, ...options.page })
  onCleanup(() => page.close())
  const app = createApp({ sidecar, sidecarPort, state, logger, page })
  const { port } = await listen(app)
  return { url: `http://127.0.0.1:${port}`, port, logs }
}
