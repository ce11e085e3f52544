// Child processes in tests: `run` (any command, its output collected), `cleanEnv`, and the built
// push directory's sidecar and demo app started as the platforms start them (`spawnSidecar`,
// `spawnApp`), each on a port from `withFreePort` (see ./ports.ts) and waited for until it listens.
// The sidecar started inside the test's own process is another thing: ./in-process-sidecar.ts.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'vitest'
import { rawRequest } from './http.js'
import type { RawResponse } from './http.js'
import { PortInUseError, withFreePort } from './ports.js'
import { sleep, waitFor } from './wait.js'

/** The repository's root. */
export const ROOT = join(import.meta.dirname, '..')
/** The built sidecar of the push directory (`npm run build` makes it). */
export const SIDECAR_MAIN = join(ROOT, 'dist', 'push', 'sidecar', 'main.mjs')
/** The built demo app of the push directory. */
export const APP_MAIN = join(ROOT, 'dist', 'push', 'app', 'main.mjs')
/** The fixed local token `spawnSidecar` gives the sidecar unless told otherwise. */
export const TOKEN = 'reliability-token-0123456789abcdef'

/** A child process with its output collected. */
export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  /**
   * Resolves with the first line of output that matches; rejects when the process ends without
   * one (the error holds the end of its output) or after `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Sends a signal and resolves with the exit code (or null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  readonly exited: Promise<number | null>
}

/** Starts `command` with stdin closed and stdout and stderr collected together. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let closed = false
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  // 'close' comes once the output has been read to its end.
  child.once('close', () => (closed = true))
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = output.split('\n').find((candidate) => pattern.test(candidate))
        if (line !== undefined) return line
        if (closed) {
          const how = child.signalCode ?? `exit code ${child.exitCode}`
          throw new Error(
            `the process ended (${how}) before output ${pattern}; its output:\n${output.slice(-3000)}`,
          )
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for output ${pattern}`)
        await sleep(25)
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** A minimal environment for child processes: PATH, HOME and TMPDIR only, plus what the test adds. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    TMPDIR: process.env['TMPDIR'],
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value
  return env
}

/**
 * Starts a process that listens on the port its environment names, and waits for its `ready`
 * line. The port comes from `withFreePort` (a new one when the process fails with EADDRINUSE),
 * unless `port` fixes it (a restart on the same port: no retry).
 */
export function spawnOnFreePort(
  command: string,
  args: readonly string[],
  options: {
    cwd?: string
    env: (port: number) => NodeJS.ProcessEnv
    ready: RegExp
    timeoutMs?: number
    port?: number | undefined
  },
): Promise<{ proc: Running; port: number }> {
  const start = async (port: number): Promise<{ proc: Running; port: number }> => {
    const proc = run(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env(port),
    })
    try {
      await proc.waitForOutput(options.ready, options.timeoutMs ?? 10_000)
    } catch (error) {
      await proc.stop('SIGKILL')
      if (/EADDRINUSE/.test(proc.output()))
        throw new PortInUseError(port, `port ${port} is in use:\n${proc.output().slice(-3000)}`)
      throw error
    }
    return { proc, port }
  }
  return options.port === undefined ? withFreePort(start) : start(options.port)
}

/** /status of the sidecar, the fields the tests read. */
export interface SidecarStatus {
  ready: boolean
  version: string | null
  stale: boolean
  fromSnapshot: boolean
  lastError: { code: string; message: string } | null
  waiting: { streams: number; longPolls: number }
}

/** The built sidecar as a running process. */
export interface SidecarProcess {
  readonly proc: Running
  readonly pid: number
  readonly port: number
  readonly url: string
  readonly cacheDir: string
  /** A request with the token (unless headers.authorization is given). */
  get(path: string, options?: Parameters<typeof rawRequest>[1]): Promise<RawResponse>
  status(): Promise<SidecarStatus>
  metrics(): Promise<string>
  /** Waits until /status names this last error code. */
  waitForError(code: string, timeoutMs?: number): Promise<SidecarStatus>
  alive(): boolean
  /** Fails the test unless the process still runs; the message holds how it ended and its log. */
  expectAlive(): void
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts the built sidecar (`node dist/push/sidecar/main.mjs`, or `main`) with a clean environment
 * plus `env`, and waits until it listens. The token is fixed (`TOKEN`; `token: null` leaves the
 * sidecar to make its own) and the cache and temp directories are under `dir` unless `env` says
 * otherwise. The port is free (see ./ports.ts) unless `port` fixes it, for a restart on the same one.
 */
export async function spawnSidecar(
  dir: string,
  env: Record<string, string | undefined>,
  options: { port?: number; token?: string | null; main?: string } = {},
): Promise<SidecarProcess> {
  const cacheDir = env['CONFIG_CACHE_DIR'] ?? join(dir, 'cache')
  const token = options.token === null ? undefined : (options.token ?? TOKEN)
  const { proc, port } = await spawnOnFreePort(process.execPath, [options.main ?? SIDECAR_MAIN], {
    cwd: dir,
    env: (candidate) =>
      cleanEnv({
        TMPDIR: dir,
        XDG_RUNTIME_DIR: dir,
        CONFIG_SERVER_PORT: String(candidate),
        CONFIG_SIDECAR_TOKEN: token,
        CONFIG_CACHE_DIR: cacheDir,
        CONFIG_POLL_INTERVAL: '200ms',
        ...env,
      }),
    ready: /config sidecar listening/,
    port: options.port,
  })
  let ended: string | undefined
  proc.child.once('exit', (code, signal) => (ended = `exit code ${code}, signal ${signal}`))
  const url = `http://127.0.0.1:${port}`
  const alive = (): boolean => proc.child.exitCode === null && proc.child.signalCode === null
  const get: SidecarProcess['get'] = (path, requestOptions = {}) => {
    const headers = { ...requestOptions.headers }
    if (headers['authorization'] === undefined && token !== undefined)
      headers['authorization'] = `Bearer ${token}`
    return rawRequest(`${url}${path}`, { ...requestOptions, headers })
  }
  const status = async (): Promise<SidecarStatus> =>
    JSON.parse((await get('/status')).body) as SidecarStatus
  return {
    proc,
    pid: proc.child.pid!,
    port,
    url,
    cacheDir,
    get,
    status,
    metrics: async () => (await get('/metrics')).body,
    waitForError: (code, timeoutMs = 8000) =>
      waitFor(
        async () => {
          const current = await status()
          return current.lastError?.code === code ? current : undefined
        },
        { timeoutMs, everyMs: 50, what: `/status lastError ${code}` },
      ),
    alive,
    expectAlive() {
      expect(
        alive(),
        `the sidecar (pid ${proc.child.pid}) ended: ${ended}; its last output:\n${proc.output().slice(-3000)}`,
      ).toBe(true)
    },
    stop: (signal) => proc.stop(signal),
  }
}

/**
 * Starts the built demo app (`node dist/push/app/main.mjs`, or `main`) beside a sidecar port, on a
 * free port of its own, and waits until it listens.
 */
export async function spawnApp(
  dir: string,
  sidecarPort: number,
  env: Record<string, string | undefined> = {},
  options: { main?: string } = {},
): Promise<{ proc: Running; url: string; port: number }> {
  const { proc, port } = await spawnOnFreePort(process.execPath, [options.main ?? APP_MAIN], {
    cwd: dir,
    env: (candidate) =>
      cleanEnv({
        TMPDIR: dir,
        XDG_RUNTIME_DIR: dir,
        PORT: String(candidate),
        CONFIG_SERVER_PORT: String(sidecarPort),
        ...env,
      }),
    ready: /demo app listening/,
  })
  return { proc, url: `http://127.0.0.1:${port}`, port }
}
