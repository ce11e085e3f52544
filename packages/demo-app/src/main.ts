// The process boundary: reads the environment, starts the app, stops on SIGTERM.
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { createApp } from './app.js'
import { createLogger } from './logger.js'
import { mountPage } from './page.js'
import { AppConfigError, loadAppSettings } from './settings.js'
import { createSidecarClient } from './sidecar-client.js'

const logger = createLogger()
let settings
try {
  settings = loadAppSettings(process.env, { tmpDir: tmpdir() })
} catch (error) {
  if (!(error instanceof AppConfigError)) throw error
  process.stderr.write(
    `demo-app: cannot start:\n${error.problems.map((problem) => `  - ${problem}`).join('\n')}\n`,
  )
  process.exit(1)
}

const sidecar = createSidecarClient(settings.sidecarUrl, settings.token)
const page = mountPage({ sidecar, logger })
const server = createServer(
  createApp({
    sidecar,
    sidecarPort: settings.sidecarPort,
    logger,
    mount: (app) => page.mount(app),
  }),
)
server.listen(settings.port, () => {
  logger.info('demo app listening', {
    url: `http://localhost:${settings.port}/`,
    sidecar: settings.sidecarUrl,
  })
})

const stop = (signal: string): void => {
  logger.info('stopping', { signal })
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
