#!/usr/bin/env node
// The process boundary: the only file that reads process.env and argv, handles signals and exits.
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { isSettingsError, reportSettingsProblems } from '@sample/shared'
import { isSidecarError } from './support/errors.js'
import { createLogger } from './support/logger.js'
import type { Logger } from './support/logger.js'
import { loadSettings } from './settings/settings.js'
import type { LoadedSettings } from './settings/settings.js'

const USAGE = `Usage: config-sidecar [serve] [--default-source file:<path>] [--default-keys <path>]
       config-sidecar once                 fetch, verify, decrypt-check, write the snapshot, exit
       config-sidecar keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>]
       config-sidecar encrypt --key <public.jwks.json> [--kid <kid>] [value]   (value or stdin)

Settings come from CONFIG_* environment variables; see the README.`

/** SIGTERM must end the process within 5 s (Cloud Foundry kills at 10 s). */
const SHUTDOWN_DEADLINE_MS = 4500

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'default-source': { type: 'string' },
      'default-keys': { type: 'string' },
      type: { type: 'string' },
      kid: { type: 'string' },
      out: { type: 'string' },
      key: { type: 'string' },
      alg: { type: 'string' },
      enc: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command = 'serve', ...rest] = positionals
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  switch (command) {
    case 'keygen': {
      const { keygen } = await import('./cli/keygen.js')
      return keygen(values)
    }
    case 'encrypt': {
      const { encrypt } = await import('./cli/encrypt.js')
      return encrypt({ ...values, value: rest[0], stdin: process.stdin })
    }
    case 'once':
    case 'serve': {
      const loaded = readSettings(values['default-source'], values['default-keys'])
      if (loaded === undefined) return 1
      const logger = createLogger({ level: loaded.settings.logLevel })
      for (const notice of loaded.notices) logger.warn('setting notice', { notice })
      if (command === 'once') {
        const { runOnce } = await import('./cli/one-shot.js')
        return runOnce(loaded.settings, logger)
      }
      return serve(loaded, logger)
    }
    default:
      process.stderr.write(`config-sidecar: unknown command "${command}"\n${USAGE}\n`)
      return 2
  }
}

function readSettings(
  defaultSource: string | undefined,
  defaultKeys: string | undefined,
): LoadedSettings | undefined {
  try {
    return loadSettings(process.env, {
      tmpDir: tmpdir(),
      cwd: process.cwd(),
      defaultSource,
      defaultKeys,
    })
  } catch (error) {
    if (!isSettingsError(error)) throw error
    reportSettingsProblems('config-sidecar', error.problems, createLogger(), process.stderr)
    return undefined
  }
}

async function serve(loaded: LoadedSettings, logger: Logger): Promise<number> {
  const { createSidecar } = await import('./sidecar.js')
  let sidecar
  try {
    sidecar = await createSidecar(loaded.settings, { logger })
    await sidecar.start()
  } catch (error) {
    if (isSettingsError(error)) {
      reportSettingsProblems('config-sidecar', error.problems, logger, process.stderr)
    } else if (isSidecarError(error)) {
      // Keys in CONFIG_KEYS that cannot be used (ERR_SECRET_NO_KEYS).
      reportSettingsProblems('config-sidecar', [error.message], logger, process.stderr)
    } else {
      const code = (error as NodeJS.ErrnoException).code
      logger.error('cannot start', {
        code: code ?? 'ERR_INTERNAL',
        reason:
          code === 'EADDRINUSE'
            ? `port ${loaded.settings.port} is in use (CONFIG_SERVER_PORT)`
            : (error as Error).message,
      })
    }
    return 1
  }
  const running = sidecar
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info('stopping', { signal })
      setTimeout(() => resolve(0), SHUTDOWN_DEADLINE_MS).unref()
      void running.stop().then(() => {
        logger.info('stopped')
        resolve(0)
      })
    }
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
  })
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`config-sidecar: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
