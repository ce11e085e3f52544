// `npm run demo`: starts the dev config server on the sample config directory, then the sidecar
// (logging in with demo client credentials) and the demo app from the built push directory, and
// prints the page's URL once all three listen. Ctrl-C stops all three.
//   PORT, CONFIG_SERVER_PORT, DEV_CONFIG_PORT  the three ports (8080, 8082, 8888: demo-ports.mjs)
//   DEMO_SAMPLES_DIR                          another samples directory (config/ and the demo keys)
// A port that is taken, or a process that stops before it listens, stops the demo with a non-zero
// exit code and one line saying what to change.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeBindError, portProblem, readPorts } from './demo-ports.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const { DEV_CONFIG_PORT, DEMO_SAMPLES_DIR, ...inherited } = process.env
// The repository's samples (not the copy in the push directory), so edits survive a rebuild.
const samples = DEMO_SAMPLES_DIR === undefined ? join(root, 'samples') : resolve(DEMO_SAMPLES_DIR)
// Demo-only credentials: the dev config server knows this client, the sidecar logs in with it.
const DEMO_CLIENT = { id: 'demo-sidecar', secret: 'demo-only-client-secret' }
/** How long each process may take to listen. */
const START_TIMEOUT_MS = 30_000

const fail = (lines) => {
  for (const line of lines) process.stderr.write(`${line}\n`)
  process.exit(1)
}

const { ports, problems } = readPorts({ ...inherited, DEV_CONFIG_PORT })
if (problems.length > 0) fail(problems)
const busy = []
for (const [setting, port] of Object.entries(ports)) {
  const problem = await portProblem(setting, port)
  if (problem !== undefined) busy.push(problem)
}
if (busy.length > 0) fail(busy)
for (const built of [
  join(push, 'sidecar', 'main.mjs'),
  join(push, 'app', 'main.mjs'),
  join(root, 'packages', 'dev-config-server', 'dist', 'main.js'),
]) {
  if (!existsSync(built))
    fail([`${built} is missing: run npm run build (npm run demo builds first)`])
}

const appPort = ports.PORT
const sidecarPort = ports.CONFIG_SERVER_PORT
const upstreamPort = ports.DEV_CONFIG_PORT
const children = []
let stopping = false
let started = false
/** Output lines held back until the demo has started, in the order they came. */
let held = []

/**
 * Starts `node <args>` with its output lines prefixed with the name. Until the demo has started,
 * lines are held back (a process that fails on a taken port then costs one line, not a stack
 * trace). Resolves once the process accepts connections on `port`; on failure, prints why and exits.
 */
function start(name, args, env, setting, port) {
  const child = spawn(process.execPath, args, {
    cwd: push,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const record = { name, child, exited: false }
  // 'close', not 'exit': the process has ended and its output has been read to the end.
  record.closed = new Promise((done) =>
    child.once('close', (code, signal) => {
      record.exited = true
      done({ code, signal })
    }),
  )
  children.push(record)
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    let partial = ''
    const write = (line) => {
      const text = `${name.padEnd(8)}| ${line}\n`
      if (started) process.stdout.write(text)
      else held.push({ record, text })
    }
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()
      for (const line of lines) write(line)
    })
    stream.on('end', () => partial !== '' && write(partial))
  }
  record.closed.then(({ code, signal }) => {
    if (stopping) return
    if (!started) {
      const output = held
        .filter((line) => line.record === record)
        .map((line) => line.text)
        .join('')
      if (/EADDRINUSE/.test(output)) {
        stopAll(1, [describeBindError(setting, port, 'EADDRINUSE')])
      } else {
        process.stderr.write(output)
        stopAll(1, [`${name} stopped before it listened (${signal ?? `exit code ${code}`})`])
      }
      return
    }
    // Ctrl-C reaches every process of the terminal; let the demo's own handler speak first.
    setTimeout(() => {
      if (stopping) return
      const clean = signal !== null || code === 0
      stopAll(clean ? 0 : 1, [`${name} exited (${signal ?? code}); stopping the demo`])
    }, 100)
  })
  return listening(port, () => record.exited).then((ok) => {
    if (!ok && !record.exited) {
      stopAll(1, [`${name} did not listen on port ${port} within ${START_TIMEOUT_MS / 1000} s`])
    }
    return ok
  })
}

/** Resolves true once 127.0.0.1:port accepts a connection, false when `gone()` or at the timeout. */
async function listening(port, gone) {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!gone() && Date.now() < deadline) {
    const accepted = await new Promise((done) => {
      const socket = connect({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (accepted && !gone()) return true
    await new Promise((done) => setTimeout(done, 50))
  }
  return false
}

function stopAll(exitCode, lines = []) {
  if (stopping) return
  stopping = true
  for (const line of lines) process.stderr.write(`${line}\n`)
  for (const { child, exited } of children) if (!exited) child.kill('SIGTERM')
  setTimeout(() => process.exit(exitCode), 5000).unref()
  Promise.all(children.map((record) => record.closed)).then(() => process.exit(exitCode))
}
process.on('SIGINT', () => stopAll(0))
process.on('SIGTERM', () => stopAll(0))

// The upstream first, so the sidecar's first refresh finds it.
const upstreamUp = await start(
  'upstream',
  [join(root, 'packages', 'dev-config-server', 'dist', 'main.js')],
  {
    PORT: String(upstreamPort),
    DEV_CONFIG_DIR: join(samples, 'config'),
    DEV_CONFIG_CLIENTS: `${DEMO_CLIENT.id}:${DEMO_CLIENT.secret}`,
  },
  'DEV_CONFIG_PORT',
  upstreamPort,
)
const [sidecarUp, appUp] = upstreamUp
  ? await Promise.all([
      start(
        'sidecar',
        ['sidecar/main.mjs'],
        {
          CONFIG_SERVER_PORT: String(sidecarPort),
          CONFIG_SOURCE: `http://127.0.0.1:${upstreamPort}/demo-app/default`,
          CONFIG_CLIENT_ID: DEMO_CLIENT.id,
          CONFIG_CLIENT_SECRET: DEMO_CLIENT.secret,
          CONFIG_TOKEN_URL: `http://127.0.0.1:${upstreamPort}/oauth/token`,
          CONFIG_POLL_INTERVAL: '500ms',
          CONFIG_KEYS: `file:${join(samples, 'demo-only.private.jwks.json')}`,
        },
        'CONFIG_SERVER_PORT',
        sidecarPort,
      ),
      start(
        'app',
        ['app/main.mjs'],
        { PORT: String(appPort), CONFIG_SERVER_PORT: String(sidecarPort) },
        'PORT',
        appPort,
      ),
    ])
  : [false, false]

if (upstreamUp && sidecarUp && appUp && !stopping) {
  started = true
  process.stdout.write(
    `\n  Demo page:   http://localhost:${appPort}/\n  App config:  curl localhost:${appPort}/config\n` +
      `  Upstream:    curl localhost:${upstreamPort}/demo-app/default (needs a token: see packages/dev-config-server)\n` +
      `  Edit ${join(samples, 'config', 'application.yaml')} and watch the page change.\n  Ctrl-C stops everything.\n\n`,
  )
  process.stdout.write(held.map((line) => line.text).join(''))
  held = []
}
