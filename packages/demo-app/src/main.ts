// The process: reads the environment, wires the parts together, listens on PORT, stops on SIGTERM.
// Holds: start-up only. The article's GET /config is in ./app.ts, the live page in ./page/.
// May import: node built-ins, @sample/shared and every module of this package. Never express or
//   got directly.
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { createLogger, isSettingsError, reportSettingsProblems } from '@sample/shared'
import { createApp } from './app.js'
import { createLogOutput } from './log-output.js'
import { createPage } from './page/page.js'
import { loadAppSettings } from './settings.js'
import { createSidecarClient } from './sidecar-client.js'
import { createSidecarState } from './sidecar-state.js'
import { readSecretAtStart } from './use-a-secret.js'

// Log lines leave in one write per turn of the event loop, and what waits for the log reader is
// bounded (./log-output.ts).
const logOutput = createLogOutput(process.stdout)
process.once('exit', () => logOutput.flush())
const logger = createLogger({ write: (line) => logOutput.write(line) })
let settings
try {
  settings = loadAppSettings(process.env, { tmpDir: tmpdir() })
} catch (error) {
  if (!isSettingsError(error)) throw error
  reportSettingsProblems('demo-app', error.problems, logger, process.stderr)
  process.exit(1)
}

const sidecar = createSidecarClient(settings.sidecarUrl, settings.token)
const state = createSidecarState(sidecar, logger)
const page = createPage({ sidecar, state, logger })
const server = createServer(
  createApp({ sidecar, sidecarPort: settings.sidecarPort, state, logger, page }),
)
server.listen(settings.port, () => {
  logger.info('demo app listening', {
    url: `http://localhost:${settings.port}/`,
    sidecar: settings.sidecarUrl,
  })
})

// The app's own use of a secret (see ./use-a-secret.ts). A real app hands the password to its
// database driver here, e.g. `new pg.Pool({ user, password })`. The demo has no database: the
// value stays in this object, in this process; no route serves it and no log line shows it.
const database: { password?: string } = {}
const secret = readSecretAtStart({
  sidecar,
  logger,
  key: 'database.password',
  use: (password) => {
    database.password = password
  },
})

const stop = (signal: string): void => {
  logger.info('stopping', { signal })
  secret.stop()
  page.close()
  server.close(() => process.exit(0))
  server.closeIdleConnections()
  setTimeout(() => {
    server.closeAllConnections()
    process.exit(0)
  }, 3000).unref()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
