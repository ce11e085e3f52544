// `npm run demo`: starts the dev config server on the sample config directory, the sidecar (logging
// in with demo client credentials) and the demo app from the built push directory, and prints the
// page's URL. Ctrl-C stops all three.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const appPort = process.env.PORT ?? '8080'
const sidecarPort = process.env.CONFIG_SERVER_PORT ?? '8082'
const upstreamPort = process.env.DEV_CONFIG_PORT ?? '8888'
// Demo-only credentials: the dev config server knows this client, the sidecar logs in with it.
const DEMO_CLIENT = { id: 'demo-sidecar', secret: 'demo-only-client-secret' }
const children = []

function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: push,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    let partial = ''
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()
      for (const line of lines) process.stdout.write(`${name.padEnd(8)}| ${line}\n`)
    })
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stdout.write(`${name} exited (${signal ?? code}); stopping the demo\n`)
      stop()
    }
  })
  children.push(child)
  return child
}

let stopping = false
function stop() {
  if (stopping) return
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(0), 5000).unref()
  Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode !== null ? resolve() : child.once('exit', resolve),
        ),
    ),
  ).then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

// The repository's samples (not the copy in the push directory), so edits survive a rebuild.
start(
  'upstream',
  [join(root, 'packages', 'dev-config-server', 'dist', 'main.js')],
  {
    PORT: upstreamPort,
    DEV_CONFIG_DIR: join(root, 'samples', 'config'),
    DEV_CONFIG_CLIENTS: `${DEMO_CLIENT.id}:${DEMO_CLIENT.secret}`,
  },
  root,
)
start('sidecar', ['sidecar/main.mjs'], {
  CONFIG_SERVER_PORT: sidecarPort,
  CONFIG_SOURCE: `http://127.0.0.1:${upstreamPort}/demo-app/default`,
  CONFIG_CLIENT_ID: DEMO_CLIENT.id,
  CONFIG_CLIENT_SECRET: DEMO_CLIENT.secret,
  CONFIG_TOKEN_URL: `http://127.0.0.1:${upstreamPort}/oauth/token`,
  CONFIG_POLL_INTERVAL: '500ms',
  CONFIG_KEYS: `file:${join(root, 'samples', 'demo-only.private.jwks.json')}`,
})
start('app', ['app/main.mjs'], { PORT: appPort, CONFIG_SERVER_PORT: sidecarPort })

process.stdout.write(
  `\n  Demo page:   http://localhost:${appPort}/\n  App config:  curl localhost:${appPort}/config\n` +
    `  Upstream:    curl localhost:${upstreamPort}/demo-app/default (needs a token: see packages/dev-config-server)\n` +
    `  Edit samples/config/application.yaml and watch the page change.\n  Ctrl-C stops everything.\n\n`,
)
