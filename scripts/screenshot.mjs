// Writes docs/demo-page.png: the demo page on the sample config, in Debian's Chromium
// (/usr/bin/chromium; `apt-get install chromium`). Run after `npm run build`:
//   node scripts/screenshot.mjs
// The sidecar and the app are the push directory's, on ports free when it starts, with an
// environment of their own (a CONFIG_* of your shell never reaches them). The screenshot is taken
// once the app is ready and its page, as the server paints it, already holds the config, and once
// the page follows the live updates.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const out = join(root, 'docs', 'demo-page.png')
const CHROMIUM = '/usr/bin/chromium'
/** How long the processes may take to serve the page with its config. */
const READY_TIMEOUT_MS = 20_000

const fail = (message) => {
  process.stderr.write(`screenshot: ${message}\n`)
  process.exit(1)
}
if (!existsSync(join(push, 'sidecar', 'main.mjs')) || !existsSync(join(push, 'app', 'main.mjs')))
  fail('dist/push is not built: run npm run build first')
if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM}: apt-get install chromium`)

/** A port free on 127.0.0.1 a moment ago. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const temp = await mkdtemp(join(tmpdir(), 'screenshot-'))
const [appPort, sidecarPort] = [await freePort(), await freePort()]
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LANG: 'C.UTF-8',
  TMPDIR: temp,
  PORT: String(appPort),
  CONFIG_SERVER_PORT: String(sidecarPort),
  CONFIG_CACHE_DIR: join(temp, 'cache'),
}

/** Starts `node <args>` in the push directory, its output kept for a failure message. */
function start(name, args) {
  const child = spawn(process.execPath, args, { cwd: push, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const proc = { name, child, output: '', exited: false }
  child.stdout.setEncoding('utf8').on('data', (chunk) => (proc.output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk) => (proc.output += chunk))
  proc.done = new Promise((resolve) => child.once('exit', resolve)).then(() => (proc.exited = true))
  return proc
}

const processes = [
  // As the manifest starts it: the sample config and the demo-only keys.
  start('sidecar', [
    'sidecar/main.mjs',
    '--default-source',
    'file:samples/config',
    '--default-keys',
    'samples/demo-only.private.jwks.json',
  ]),
  start('app', ['app/main.mjs']),
]
const appUrl = `http://127.0.0.1:${appPort}/`

/** Resolves once the app is ready and the page it serves holds the config; throws on a timeout. */
async function pageWithConfig() {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const gone = processes.find((proc) => proc.exited)
    if (gone !== undefined) throw new Error(`the ${gone.name} stopped:\n${gone.output}`)
    try {
      const ready = await fetch(new URL('readyz', appUrl))
      if (ready.status === 200) {
        const html = await (await fetch(appUrl)).text()
        const painted = /<pre id="config"[^>]*>([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? ''
        if (painted.includes('greeting')) return
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the page did not hold the config within ${READY_TIMEOUT_MS / 1000} s:\n${processes
          .map((proc) => `--- ${proc.name}\n${proc.output}`)
          .join('\n')}`,
      )
    }
    await sleep(100)
  }
}

let browser
try {
  await pageWithConfig()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
  await page.goto(appUrl)
  await page.locator('#config', { hasText: 'greeting' }).waitFor({ timeout: 5000 })
  await page.locator('#ready', { hasText: /^ready$/ }).waitFor({ timeout: 5000 })
  await page.locator('#live', { hasText: /^live$/ }).waitFor({ timeout: 5000 })
  await page.screenshot({ path: out, fullPage: true })
  process.stdout.write('wrote docs/demo-page.png\n')
} catch (error) {
  process.exitCode = 1
  process.stderr.write(`screenshot: ${error instanceof Error ? error.message : String(error)}\n`)
} finally {
  await browser?.close()
  for (const proc of processes) if (!proc.exited) proc.child.kill('SIGTERM')
  await Promise.all(processes.map((proc) => proc.done))
  await rm(temp, { recursive: true, force: true })
}
