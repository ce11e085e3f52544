// `npm run demo`: starts the sidecar and the demo app from the built push directory, on the sample
// config, and prints the page's URL. Ctrl-C stops everything.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const appPort = process.env.PORT ?? '8080'
const sidecarPort = process.env.CONFIG_SERVER_PORT ?? '8082'
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
start('sidecar', ['sidecar/main.mjs'], {
  CONFIG_SERVER_PORT: sidecarPort,
  CONFIG_SOURCE: `file:${join(root, 'samples', 'config')}`,
  CONFIG_KEYS: `file:${join(root, 'samples', 'demo-only.private.jwks.json')}`,
})
start('app', ['app/main.mjs'], { PORT: appPort, CONFIG_SERVER_PORT: sidecarPort })

process.stdout.write(
  `\n  Demo page:   http://localhost:${appPort}/\n  App config:  curl localhost:${appPort}/config\n` +
    `  Edit samples/config/application.yaml and watch the page change.\n  Ctrl-C stops everything.\n\n`,
)
