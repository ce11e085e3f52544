// Shared by the reliability suite: the built sidecar and app as real processes, a hostile upstream
// on port 0, plain HTTP requests with full control of the headers, /proc readings (RSS, CPU) and
// the check that no secret reached any output.
import { execFileSync } from 'node:child_process'
import { readFile, readdir, stat } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { expect } from 'vitest'
import { cleanEnv, freePort, run, waitFor } from '../../test-support/helpers.js'
import type { Running } from '../../test-support/helpers.js'

export const ROOT = join(import.meta.dirname, '..', '..')
export const SIDECAR_MAIN = join(ROOT, 'dist', 'push', 'sidecar', 'main.mjs')
export const APP_MAIN = join(ROOT, 'dist', 'push', 'app', 'main.mjs')
/** The fixed local token most cases use (the generated one is covered by the app cases). */
export const TOKEN = 'reliability-token-0123456789abcdef'

// ---------------------------------------------------------------------------------------------
// HTTP without pooling: every call is its own connection, so counts and timings are exact.

export interface Answer {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly body: string
  readonly ms: number
}

export function http(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    timeoutMs?: number
    body?: string
  } = {},
): Promise<Answer> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ms: Date.now() - started,
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The `error.code` of a JSON error body, or undefined. */
export function errorCode(answer: Answer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readings.

/** Resident memory now and at its peak (VmHWM), in MiB. */
export async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1])
  return { rssMiB: round(kb('VmRSS') / 1024), peakMiB: round(kb('VmHWM') / 1024) }
}

let clockTicks: number | undefined
/** CPU time (user + system) a process has used, in milliseconds. */
export async function cpuMsOf(pid: number): Promise<number> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits))

// ---------------------------------------------------------------------------------------------
// The built sidecar and app.

export interface SidecarStatus {
  ready: boolean
  version: string | null
  stale: boolean
  fromSnapshot: boolean
  lastError: { code: string; message: string } | null
  waiting: { streams: number; longPolls: number }
}

export interface SidecarProcess {
  readonly proc: Running
  readonly pid: number
  readonly port: number
  readonly url: string
  readonly cacheDir: string
  /** A request with the token (unless headers.authorization is given). */
  get(path: string, options?: Parameters<typeof http>[1]): Promise<Answer>
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
 * Starts `node dist/push/sidecar/main.mjs` with a clean environment plus `env`, and waits until it
 * listens. The token is fixed and the cache and temp directories are under `dir` unless `env` says
 * otherwise.
 */
export async function startSidecar(
  dir: string,
  env: Record<string, string | undefined>,
  options: { port?: number; token?: string | null } = {},
): Promise<SidecarProcess> {
  const port = options.port ?? (await freePort())
  const cacheDir = env['CONFIG_CACHE_DIR'] ?? join(dir, 'cache')
  const token = options.token === null ? undefined : (options.token ?? TOKEN)
  const proc = run(process.execPath, [SIDECAR_MAIN], {
    cwd: dir,
    env: cleanEnv({
      TMPDIR: dir,
      XDG_RUNTIME_DIR: dir,
      CONFIG_SERVER_PORT: String(port),
      CONFIG_SIDECAR_TOKEN: token,
      CONFIG_CACHE_DIR: cacheDir,
      CONFIG_POLL_INTERVAL: '200ms',
      ...env,
    }),
  })
  let ended: string | undefined
  proc.child.once('exit', (code, signal) => (ended = `exit code ${code}, signal ${signal}`))
  await proc.waitForOutput(/config sidecar listening/, 10_000)
  const url = `http://127.0.0.1:${port}`
  const alive = (): boolean => proc.child.exitCode === null && proc.child.signalCode === null
  const get: SidecarProcess['get'] = (path, requestOptions = {}) => {
    const headers = { ...requestOptions.headers }
    if (headers['authorization'] === undefined && token !== undefined)
      headers['authorization'] = `Bearer ${token}`
    return http(`${url}${path}`, { ...requestOptions, headers })
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

/** Starts `node dist/push/app/main.mjs` beside a sidecar port. */
export async function startApp(
  dir: string,
  sidecarPort: number,
  env: Record<string, string | undefined> = {},
): Promise<{ proc: Running; url: string }> {
  const port = await freePort()
  const proc = run(process.execPath, [APP_MAIN], {
    cwd: dir,
    env: cleanEnv({
      TMPDIR: dir,
      XDG_RUNTIME_DIR: dir,
      PORT: String(port),
      CONFIG_SERVER_PORT: String(sidecarPort),
      ...env,
    }),
  })
  await proc.waitForOutput(/demo app listening/, 10_000)
  return { proc, url: `http://127.0.0.1:${port}` }
}

// ---------------------------------------------------------------------------------------------
// A hostile upstream: a node:http server on 127.0.0.1:0 whose behaviour each case sets.

export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void

export interface HostileUpstream {
  readonly url: string
  readonly port: number
  /** Every request, with the time it arrived. */
  readonly requests: { method: string; url: string; at: number; authorization?: string }[]
  /** Connections accepted so far, and open now. */
  readonly accepted: () => number
  readonly open: () => number
  behave(next: Behaviour): void
  close(): Promise<void>
}

export async function hostileUpstream(
  behaviour: Behaviour,
  options: { port?: number } = {},
): Promise<HostileUpstream> {
  let current = behaviour
  const requests: HostileUpstream['requests'] = []
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      at: Date.now(),
      ...(req.headers.authorization === undefined
        ? {}
        : { authorization: req.headers.authorization }),
    })
    // A hostile server may answer before the request body is read; drain it anyway.
    req.resume()
    current(req, res)
  })
  server.on('connection', (socket: Socket) => {
    accepted += 1
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: () => accepted,
    open: () => sockets.size,
    behave(next) {
      current = next
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A JSON answer. */
export const json =
  (body: unknown, headers: Record<string, string> = {}): Behaviour =>
  (_req, res) => {
    const text = JSON.stringify(body)
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...headers,
      })
      .end(text)
  }

/** Raw bytes with a content type. */
export const raw =
  (body: string | Buffer, contentType: string | undefined = 'application/json'): Behaviour =>
  (_req, res) => {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) }
    if (contentType !== undefined) headers['content-type'] = contentType
    res.writeHead(200, headers).end(body)
  }

// ---------------------------------------------------------------------------------------------
// Secrets must never leave: logs, error bodies, /status, /metrics, the snapshot.

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

/** Collects numbers for docs/reliability.md: printed at the end of each file's run. */
export function report(section: string, values: Record<string, unknown>): void {
  process.stdout.write(`[reliability] ${section}: ${JSON.stringify(values)}\n`)
}
