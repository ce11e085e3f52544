#!/usr/bin/env node
// The process boundary: the only file that reads process.env, handles signals and exits.
import { isSettingsError, reportSettingsProblems } from '@sample/shared'
import { createLogger } from './logger.js'
import { createDevConfigServer } from './server.js'
import { loadSettings } from './settings.js'

/** SIGTERM must end the process well within Cloud Foundry's 10 s. */
const SHUTDOWN_DEADLINE_MS = 4500

async function main(): Promise<number> {
  let loaded
  try {
    loaded = loadSettings(process.env, process.cwd())
  } catch (error) {
    if (!isSettingsError(error)) throw error
    reportSettingsProblems('dev-config-server', error.problems, createLogger(), process.stderr)
    return 1
  }
  const { settings, notices } = loaded
  const logger = createLogger({ level: settings.logLevel })
  for (const notice of notices) logger.warn('setting notice', { notice })

  const server = createDevConfigServer({ ...settings, logger })
  try {
    await server.start()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    logger.error('cannot start', {
      code: code ?? null,
      reason:
        code === 'EADDRINUSE'
          ? `port ${settings.port} is in use (PORT)`
          : code !== undefined
            ? `cannot listen on ${settings.host}:${settings.port} (DEV_CONFIG_HOST, PORT)`
            : `${(error as Error).message} (DEV_CONFIG_DIR)`,
    })
    return 1
  }

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info('stopping', { signal })
      setTimeout(() => resolve(0), SHUTDOWN_DEADLINE_MS).unref()
      void server.stop().then(() => resolve(0))
    }
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dev-config-server: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
