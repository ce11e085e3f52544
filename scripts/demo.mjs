// `npm run demo`: starts the dev config server on the sample config directory, then the sidecar
// (logging in with demo client credentials) and the demo app from the built push directory, and
// prints the page's URL. Ctrl-C stops all three.
//   PORT, CONFIG_SERVER_PORT, DEV_CONFIG_PORT  the three ports (8080, 8082, 8888)
//   DEMO_SAMPLES_DIR                          another samples directory (config/ and the demo keys)
import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const { DEV_CONFIG_PORT, DEMO_SAMPLES_DIR, ...inherited } = process.env
const appPort = inherited.PORT ?? '8080'
const sidecarPort = inherited.CONFIG_SERVER_PORT ?? '8082'
const upstreamPort = DEV_CONFIG_PORT ?? '8888'
// The repository's samples (not the copy in the push directory), so edits survive a rebuild.
const samples = DEMO_SAMPLES_DIR === undefined ? join(root, 'samples') : resolve(DEMO_SAMPLES_DIR)
// Demo-only credentials: the dev config server knows this client, the sidecar logs in with it.
const DEMO_CLIENT = { id: 'demo-sidecar', secret: 'demo-only-client-secret' }
const children = []
let stopping = false

/** Starts `node <args>`, prefixing its output lines with the name; resolves on a matching line. */
function start(name, args, env, ready) {
  const child = spawn(process.execPath, args, {
    cwd: push,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let readyLine
  const isReady = new Promise((resolveReady) => (readyLine = resolveReady))
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    let partial = ''
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()
      for (const line of lines) {
        process.stdout.write(`${name.padEnd(8)}| ${line}\n`)
        if (ready?.test(line)) readyLine()
      }
    })
  }
  child.on('exit', (code, signal) => {
    readyLine()
    if (!stopping) {
      process.stdout.write(`${name} exited (${signal ?? code}); stopping the demo\n`)
      stop()
    }
  })
  children.push(child)
  return isReady
}

function stop() {
  if (stopping) return
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(0), 5000).unref()
  const exited = children.map(
    (child) => new Promise((done) => (child.exitCode !== null ? done() : child.once('exit', done))),
  )
  Promise.all(exited).then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

// The upstream first, so the sidecar's first refresh finds it.
await start(
  'upstream',
  [join(root, 'packages', 'dev-config-server', 'dist', 'main.js')],
  {
    PORT: upstreamPort,
    DEV_CONFIG_DIR: join(samples, 'config'),
    DEV_CONFIG_CLIENTS: `${DEMO_CLIENT.id}:${DEMO_CLIENT.secret}`,
  },
  /"msg":"listening"/,
)
if (!stopping) {
  start('sidecar', ['sidecar/main.mjs'], {
    CONFIG_SERVER_PORT: sidecarPort,
    CONFIG_SOURCE: `http://127.0.0.1:${upstreamPort}/demo-app/default`,
    CONFIG_CLIENT_ID: DEMO_CLIENT.id,
    CONFIG_CLIENT_SECRET: DEMO_CLIENT.secret,
    CONFIG_TOKEN_URL: `http://127.0.0.1:${upstreamPort}/oauth/token`,
    CONFIG_POLL_INTERVAL: '500ms',
    CONFIG_KEYS: `file:${join(samples, 'demo-only.private.jwks.json')}`,
  })
  start('app', ['app/main.mjs'], { PORT: appPort, CONFIG_SERVER_PORT: sidecarPort })
  process.stdout.write(
    `\n  Demo page:   http://localhost:${appPort}/\n  App config:  curl localhost:${appPort}/config\n` +
      `  Upstream:    curl localhost:${upstreamPort}/demo-app/default (needs a token: see packages/dev-config-server)\n` +
      `  Edit ${join(samples, 'config', 'application.yaml')} and watch the page change.\n  Ctrl-C stops everything.\n\n`,
  )
}
