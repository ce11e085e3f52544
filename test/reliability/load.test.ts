// Bounded load on the built sidecar: a few seconds of high concurrency on `/config/`, then on long
// polls. Zero errors, and resident memory flat (sampled before and after). wrk when it is installed
// (CI installs it), else a keep-alive loop in Node.
import { execFile, execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { memoryOf, report } from '../../test-support/measure.js'
import { TOKEN, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { sleep, waitFor } from '../../test-support/wait.js'

const SECONDS = 3

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess
let etag: string

const hasWrk = ((): boolean => {
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

beforeAll(async () => {
  dir = await tempDir('reliability-load-')
  // About the size of a real service's config: 60 keys in a few sections.
  const config: Record<string, Record<string, string>> = {}
  for (let section = 0; section < 6; section += 1) {
    config[`section${section}`] = Object.fromEntries(
      Array.from({ length: 10 }, (_, key) => [
        `key${key}`,
        `value ${section}.${key} of the config`,
      ]),
    )
  }
  await writeFile(join(dir.path, 'app.json'), JSON.stringify(config))
  sidecar = await spawnSidecar(dir.path, { CONFIG_SOURCE: `file:${join(dir.path, 'app.json')}` })
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
  etag = (await sidecar.get('/config/')).headers['etag'] as string
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir?.remove()
})

interface LoadResult {
  tool: 'wrk' | 'node'
  requests: number
  perSecond: number
  p99Ms: number | undefined
  errors: number
  unexpected: number
}

/** wrk against one URL; errors are socket errors, unexpected are answers other than 2xx/3xx. */
function wrk(
  path: string,
  connections: number,
  headers: Record<string, string>,
  seconds = SECONDS,
): Promise<LoadResult> {
  // One wrk thread: on a 2-core machine the sidecar keeps a core to itself.
  const args = [
    '-t',
    '1',
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--latency',
    '--timeout',
    '5s',
  ]
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  args.push(`${sidecar.url}${path}`)
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 10) * 1000 }, (error, stdout) => {
      if (error !== null) {
        reject(new Error(`wrk failed: ${error.message}`, { cause: error }))
        return
      }
      const number = (pattern: RegExp): number => Number(pattern.exec(stdout)?.[1] ?? 0)
      const socketErrors =
        /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
      const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout)
      resolve({
        tool: 'wrk',
        requests: number(/(\d+) requests in/),
        perSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
        p99Ms:
          p99 === null
            ? undefined
            : Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1),
        errors:
          socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0),
        unexpected: number(/Non-2xx or 3xx responses: (\d+)/),
      })
    })
  })
}

/** The same with Node: `connections` keep-alive loops for `seconds` seconds. */
async function nodeLoad(
  path: string,
  connections: number,
  headers: Record<string, string>,
  seconds = SECONDS,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const deadline = Date.now() + seconds * 1000
  let requests = 0
  let errors = 0
  let unexpected = 0
  const latencies: number[] = []
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const started = Date.now()
      const req = request(`${sidecar.url}${path}`, { agent, headers }, (res) => {
        res.resume()
        res.on('end', () => {
          requests += 1
          latencies.push(Date.now() - started)
          if ((res.statusCode ?? 0) >= 400) unexpected += 1
          resolve()
        })
      })
      req.on('error', () => {
        errors += 1
        resolve()
      })
      req.end()
    })
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) await once()
    }),
  )
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    tool: 'node',
    requests,
    perSecond: Math.round(requests / seconds),
    p99Ms: latencies[Math.floor(latencies.length * 0.99)],
    errors,
    unexpected,
  }
}

const load = hasWrk ? wrk : nodeLoad

describe('bounded load', () => {
  it(`${SECONDS} s on /config/ at 100 connections, then ${SECONDS} s of long polls at 500: no errors, RSS flat`, async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    // Warm up, so the baseline is the steady state and not the first requests' allocations.
    await load('/config/', 20, auth, 1)
    await sleep(300)
    const before = await memoryOf(sidecar.pid)

    const config = await load('/config/', 100, auth)
    const afterConfig = await memoryOf(sidecar.pid)
    const polls = await load('/config/?wait=1', 500, { ...auth, 'if-none-match': etag })
    await sleep(1000)
    const after = await memoryOf(sidecar.pid)

    report('load', { config, longPolls: polls, before, afterConfig, after })
    for (const result of [config, polls]) {
      expect(result.requests).toBeGreaterThan(0)
      expect(result.errors).toBe(0)
      expect(result.unexpected).toBe(0)
    }
    // Long polls of 1 s on 500 connections: about 500 answers a second, each a 304 after the wait.
    expect(polls.perSecond).toBeGreaterThan(250)
    expect(after.rssMiB - before.rssMiB).toBeLessThan(32)
    sidecar.expectAlive()
    expect((await sidecar.status()).waiting.longPolls).toBe(0)
  }, 30_000)
})
