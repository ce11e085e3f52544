#!/usr/bin/env node
// The process boundary: the only file that reads process.env and argv, handles signals and exits.
import { mkdir } from 'node:fs/promises'
import * as nodeModule from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { isSettingsError, reportSettingsProblems } from '@sample/shared'
import { invocationOf, parseCommandLine, usage } from './cli/command-line.js'
import { isSidecarError } from './support/errors.js'
import { createLogger } from './support/logger.js'
import { ensurePrivateDir } from './support/private-dir.js'
import type { Logger } from './support/logger.js'
import { loadSettings } from './settings/settings.js'
import type { LoadedSettings, Settings } from './settings/settings.js'

/** SIGTERM must end the process within 5 s (Cloud Foundry kills at 10 s). */
const SHUTDOWN_DEADLINE_MS = 4500

async function main(argv: readonly string[]): Promise<number> {
  const run = invocationOf(process.argv[1], process.cwd())
  const parsed = parseCommandLine(argv)
  if (parsed.kind === 'help') {
    process.stdout.write(`${usage(run)}\n`)
    return 0
  }
  if (parsed.kind === 'problem') {
    process.stderr.write(`${parsed.problem}\n${usage(run)}\n`)
    return 2
  }
  const { command, values, rest } = parsed
  switch (command) {
    case 'keygen': {
      const { keygen } = await import('./cli/keygen.js')
      return keygen({ ...values, invocation: run })
    }
    case 'encrypt': {
      const { encrypt } = await import('./cli/encrypt.js')
      return encrypt({
        ...values,
        allowEmpty: values['allow-empty'],
        value: rest[0],
        stdin: process.stdin,
        invocation: run,
      })
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
      // Before the sidecar's own modules and node-jose load, so that their compiled code is cached
      // (serving only: the one-shot mode of an init container starts once and leaves no cache).
      await enableCompileCache(loaded.settings)
      return serve(loaded, logger)
    }
  }
}

/** How long after the first config the compile cache is written (it is written at exit too). */
const COMPILE_CACHE_FLUSH_DELAY_MS = 5000

/** Node's compile cache: `enableCompileCache` from Node 22.1, `flushCompileCache` from 22.10. */
const compileCache = nodeModule as unknown as {
  enableCompileCache?: (directory: string) => unknown
  flushCompileCache?: () => void
}

/**
 * Keeps the compiled code of the modules loaded from here on (the sidecar's own, and node-jose's
 * 1 MB when there are keys) in `<CONFIG_CACHE_DIR>/compile-cache`, so that a restart skips
 * compiling it. Optional: skipped on Node 20 (no such API), when NODE_COMPILE_CACHE is set (Node
 * then caches every module in that directory itself; NODE_DISABLE_COMPILE_CACHE=1 turns both off),
 * and when the directory cannot be made this user's alone (cached code runs as the sidecar's own).
 */
async function enableCompileCache(settings: Settings): Promise<void> {
  const enable = compileCache.enableCompileCache
  if (typeof enable !== 'function' || process.env['NODE_COMPILE_CACHE'] !== undefined) return
  const directory = join(settings.cacheDir, 'compile-cache')
  try {
    if (settings.cacheDirIsDefault) {
      await ensurePrivateDir(dirname(settings.cacheDir), 'the private directory')
      await ensurePrivateDir(settings.cacheDir, 'the cache directory (CONFIG_CACHE_DIR)')
    } else {
      await mkdir(settings.cacheDir, { recursive: true, mode: 0o700 })
    }
    await ensurePrivateDir(directory, 'the compile cache directory')
    enable.call(nodeModule, directory)
  } catch {
    // Start without the cache: the checks of start() report a cache directory that is not private.
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
    const started = await sidecar.start()
    // Once the first config is in, the code that start needed (node-jose included) is compiled:
    // write it to the compile cache soon (writing takes milliseconds, so not while the first
    // requests come in) rather than only at exit, which a killed process never reaches.
    void started.firstRefresh.then(() => {
      setTimeout(() => compileCache.flushCompileCache?.(), COMPILE_CACHE_FLUSH_DELAY_MS).unref()
    })
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
