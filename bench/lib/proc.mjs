// Child processes for the benchmarks: start, wait until an URL answers, read RSS from /proc.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const push = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'push')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resident set size now, its peak (VmHWM), and now its anonymous and file-backed parts, in kB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN)
  return {
    rssKb: field('VmRSS'),
    peakKb: field('VmHWM'),
    anonKb: field('RssAnon'),
    fileKb: field('RssFile'),
  }
}

/**
 * Starts `node <args>` (this process's node, or `node`: another binary); output is kept (last
 * 64 KB) for error reports.
 */
export function startNode(args, { cwd, env, node = process.execPath } = {}) {
  const startedAt = performance.now()
  const child = spawn(node, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk).slice(-65536)
  }
  child.stdout.setEncoding('utf8').on('data', keep)
  child.stderr.setEncoding('utf8').on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    child,
    startedAt,
    output: () => output,
    /** Resident set size now, and its peak (VmHWM), in kB (see memoryOf). */
    memory() {
      return memoryOf(child.pid)
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Polls `url` until it answers `status` (every 2 ms); resolves with the time it took since `since`. */
export async function waitForStatus(
  url,
  { status = 200, headers = {}, since = performance.now(), timeoutMs = 15_000 } = {},
) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(url, { headers })
      await response.arrayBuffer()
      if (response.status === status) return performance.now() - since
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline)
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`)
    await sleep(2)
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts the push directory's demo app in front of a sidecar and waits until it answers. */
export async function startApp({ cwd, sidecarPort, token, env = {} }) {
  const port = await freePort()
  const app = startNode([join(push, 'app', 'main.mjs')], {
    cwd,
    env: {
      ...env,
      PORT: String(port),
      CONFIG_SERVER_PORT: String(sidecarPort),
      CONFIG_SIDECAR_TOKEN: token,
    },
  })
  await waitForStatus(`http://127.0.0.1:${port}/livez`)
  return { ...app, port }
}
