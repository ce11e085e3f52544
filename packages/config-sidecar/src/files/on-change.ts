// CONFIG_ON_CHANGE: the command run by `/bin/sh -c` after the files of a changed config are
// written. One run at a time; a change that arrives meanwhile queues at most one more run (for the
// newest config); a run is bounded in time (its process group is killed) and in logged output.
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { Logger } from '../support/logger.js'
import type { ServedConfig } from '../state/served-config.js'
import { onChangeEnvironment } from './on-change-env.js'

/** How long a run may take before its process group is killed. */
export const ON_CHANGE_TIMEOUT_MS = 60_000
/** Output lines logged per run (stdout and stderr together); the rest are counted. */
export const MAX_LOGGED_LINES = 100
/** Longest output line logged; longer ones are cut. */
export const MAX_LINE_CHARS = 1000
/** After the command exits, how long output still in the pipes is read. */
const DRAIN_MS = 200

export type OnChangeOutcome = 'ok' | 'failed' | 'timeout' | 'error'

/** One finished run, for the log, /status and /metrics. */
export interface OnChangeRun {
  /** The config version the run was for (CONFIG_VERSION). */
  readonly version: string
  readonly startedAt: number
  readonly durationMs: number
  /** `ok`: exit 0; `failed`: another exit status or a signal; `timeout`: killed; `error`: no start. */
  readonly outcome: OnChangeOutcome
  readonly exitCode: number | null
  readonly signal: string | null
}

export interface OnChangeStatus {
  readonly running: boolean
  /** True when one more run waits for the one in progress. */
  readonly queued: boolean
  readonly runs: Readonly<Record<OnChangeOutcome, number>>
  readonly last: OnChangeRun | undefined
}

export interface OnChangeRunner {
  /** Runs the command for `config` now, or once after the run in progress (the newest config wins). */
  request(config: ServedConfig): void
  status(): OnChangeStatus
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>
  /** Drops a queued run and kills the process group of a run in progress. */
  stop(): Promise<void>
}

export interface OnChangeOptions {
  readonly command: string
  readonly logger: Logger
  readonly timeoutMs?: number | undefined
  /** The environment the command inherits (default: the sidecar's). */
  readonly baseEnv?: NodeJS.ProcessEnv | undefined
  readonly onRun?: (run: OnChangeRun) => void
  readonly now?: () => number
}

export function createOnChangeRunner(options: OnChangeOptions): OnChangeRunner {
  const { command, logger } = options
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? ON_CHANGE_TIMEOUT_MS
  const runs: Record<OnChangeOutcome, number> = { ok: 0, failed: 0, timeout: 0, error: 0 }
  let last: OnChangeRun | undefined
  /** The config the previous run covered (the next run reports the change since). */
  let previous: ServedConfig | undefined
  let running: Promise<void> | undefined
  let queued: ServedConfig | undefined
  let stopped = false
  let killRunning: (() => void) | undefined
  let idleWaiters: (() => void)[] = []

  const runOnce = async (config: ServedConfig): Promise<void> => {
    const startedAt = now()
    const env = onChangeEnvironment(options.baseEnv ?? process.env, { from: previous, to: config })
    previous = config
    logger.info('running the on-change command', { version: config.version })
    const result = await execute(command, env, timeoutMs, logger, (kill) => (killRunning = kill))
    killRunning = undefined
    const run: OnChangeRun = {
      version: config.version,
      startedAt,
      durationMs: now() - startedAt,
      ...result,
    }
    runs[run.outcome] += 1
    last = run
    options.onRun?.(run)
    const fields = {
      version: run.version,
      exitCode: run.exitCode,
      signal: run.signal,
      durationMs: run.durationMs,
    }
    if (run.outcome === 'ok') logger.info('the on-change command succeeded', fields)
    else if (run.outcome === 'timeout')
      logger.warn('the on-change command timed out; its process group was killed', {
        ...fields,
        timeoutMs,
      })
    else if (run.outcome === 'error')
      logger.warn('the on-change command could not be started', {
        ...fields,
        reason: result.reason,
      })
    else logger.warn('the on-change command failed', fields)
  }

  const loop = async (first: ServedConfig): Promise<void> => {
    let next: ServedConfig | undefined = first
    while (next !== undefined && !stopped) {
      await runOnce(next)
      next = queued
      queued = undefined
    }
    running = undefined
    const waiters = idleWaiters
    idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  return {
    request(config) {
      if (stopped) return
      if (running !== undefined) {
        queued = config
        return
      }
      running = loop(config)
    },
    status: () => ({
      running: running !== undefined,
      queued: queued !== undefined,
      runs: { ...runs },
      last,
    }),
    idle: () =>
      running === undefined
        ? Promise.resolve()
        : new Promise((resolve) => idleWaiters.push(resolve)),
    async stop() {
      stopped = true
      queued = undefined
      killRunning?.()
      await running
    },
  }
}

interface Execution {
  readonly outcome: OnChangeOutcome
  readonly exitCode: number | null
  readonly signal: string | null
  readonly reason?: string
}

/**
 * Runs `sh -c command` in a process group of its own, logs its output line by line, and kills the
 * group at the timeout (or when `onKill`'s function is called). Resolves when the shell has exited
 * (a process it left in the background keeps running; its later output is not logged).
 */
function execute(
  command: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  logger: Logger,
  onKill: (kill: () => void) => void,
): Promise<Execution> {
  return new Promise((resolve) => {
    let child: ChildProcessByStdio<null, Readable, Readable>
    try {
      child = spawn('/bin/sh', ['-c', command], {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (error) {
      resolve({ outcome: 'error', exitCode: null, signal: null, reason: (error as Error).message })
      return
    }
    const output = createOutputLog(logger)
    const streams = [output.follow(child.stdout, 'stdout'), output.follow(child.stderr, 'stderr')]
    let timedOut = false
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is gone already
      }
    }
    const timer = setTimeout(() => {
      timedOut = true
      killGroup()
    }, timeoutMs)
    onKill(killGroup)
    let settled = false
    const settle = (execution: Execution): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // Output still in the pipes is read for a moment; then the pipes are let go of, so that a
      // process left in the background cannot hold the run open.
      void Promise.race([Promise.all(streams), sleep(DRAIN_MS)]).then(() => {
        output.finish(child.stdout, child.stderr)
        resolve(execution)
      })
    }
    child.once('error', (error) =>
      settle({ outcome: 'error', exitCode: null, signal: null, reason: error.message }),
    )
    child.once('exit', (code, signal) => {
      if (timedOut) settle({ outcome: 'timeout', exitCode: code, signal })
      else settle({ outcome: code === 0 ? 'ok' : 'failed', exitCode: code, signal })
    })
  })
}

/** The command's output in the log: one info line per output line, at most MAX_LOGGED_LINES. */
function createOutputLog(logger: Logger): {
  follow(stream: Readable, name: 'stdout' | 'stderr'): Promise<void>
  finish(...streams: Readable[]): void
} {
  let logged = 0
  let dropped = 0
  const pending = new Map<string, string>()
  const line = (name: string, text: string): void => {
    if (logged >= MAX_LOGGED_LINES) {
      dropped += 1
      return
    }
    logged += 1
    const cut = text.length > MAX_LINE_CHARS
    logger.info('on-change output', {
      stream: name,
      line: cut ? `${text.slice(0, MAX_LINE_CHARS)}…` : text,
    })
  }
  const flush = (): void => {
    for (const [name, rest] of pending) if (rest !== '') line(name, rest.replace(/\r$/, ''))
    pending.clear()
  }
  return {
    follow(stream, name) {
      pending.set(name, '')
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        let text = (pending.get(name) ?? '') + chunk
        let newline = text.indexOf('\n')
        while (newline !== -1) {
          line(name, text.slice(0, newline).replace(/\r$/, ''))
          text = text.slice(newline + 1)
          newline = text.indexOf('\n')
        }
        // A line without an end is kept only up to what can be logged of it.
        pending.set(
          name,
          text.length > MAX_LINE_CHARS + 1 ? text.slice(0, MAX_LINE_CHARS + 1) : text,
        )
      })
      return new Promise((resolve) => {
        stream.once('close', resolve)
        stream.once('error', () => resolve())
      })
    },
    finish(...streams) {
      flush()
      for (const stream of streams) {
        stream.removeAllListeners('data')
        stream.resume()
        ;(stream as Readable & { unref?: () => void }).unref?.()
      }
      if (dropped > 0)
        logger.info('on-change output cut', { loggedLines: logged, droppedLines: dropped })
    },
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
