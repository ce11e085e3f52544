// Load generation: wrk (Debian's package) when present, else a small keep-alive node client that
// is enough for the smoke run. Every run is bounded in time.
import { spawn, spawnSync } from 'node:child_process'
import { Agent, request } from 'node:http'

export function hasWrk() {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 }

/** wrk's arguments for a bounded run. */
function wrkArgs(url, { connections, seconds, headers = {} }) {
  // wrk takes whole seconds.
  const args = [
    '-t',
    String(Math.min(2, connections)),
    '-c',
    String(connections),
    '-d',
    `${Math.max(1, Math.round(seconds))}s`,
    '--latency',
  ]
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  return [...args, url]
}

/**
 * wrk's report → requests/s, p50 and p99 latency in ms, requests done, non-2xx/3xx answers, and
 * errors (those plus socket errors).
 */
function parseWrk(text) {
  const latency = (percent) => {
    const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text)
    return match ? Number(match[1]) * UNIT_MS[match[2]] : Number.NaN
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? Number.NaN)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    text,
  )
  const errors =
    non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0)
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? Number.NaN)
  return { rps, p50: latency(50), p99: latency(99), requests, non2xx, errors }
}

/** Runs wrk (blocking this process); see parseWrk. */
export function runWrk(url, options) {
  const result = spawnSync('wrk', wrkArgs(url, options), {
    encoding: 'utf8',
    timeout: (options.seconds + 10) * 1000,
  })
  return parseWrk(result.stdout ?? '')
}

/** Runs wrk without blocking this process (it can sample memory meanwhile); see parseWrk. */
export function runWrkAsync(url, options) {
  return new Promise((resolve) => {
    const child = spawn('wrk', wrkArgs(url, options), { stdio: ['ignore', 'pipe', 'ignore'] })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 10) * 1000)
    child.once('close', () => {
      clearTimeout(timer)
      resolve(parseWrk(text))
    })
  })
}

/** A bounded keep-alive load from this process (used when wrk is missing: smoke runs only). */
export async function runNodeLoad(url, { connections, seconds, headers = {} }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const latencies = []
  let errors = 0
  let non2xx = 0
  const deadline = performance.now() + seconds * 1000
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now()
      const req = request(url, { agent, headers }, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode >= 400) {
            errors += 1
            non2xx += 1
          }
          latencies.push(performance.now() - started)
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
      while (performance.now() < deadline) await one()
    }),
  )
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  return {
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    requests: latencies.length,
    non2xx,
    errors,
  }
}

export async function runLoad(url, options) {
  return hasWrk() ? runWrk(url, options) : runNodeLoad(url, options)
}

/** As runLoad, but the event loop of this process keeps running during the load. */
export async function runLoadAsync(url, options) {
  return hasWrk() ? runWrkAsync(url, options) : runNodeLoad(url, options)
}
