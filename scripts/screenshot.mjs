// Writes docs/demo-page.png: the demo page on the sample config, in Debian's Chromium.
// Run after `npm run build`: node scripts/screenshot.mjs
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const temp = await mkdtemp(join(tmpdir(), 'screenshot-'))
const env = {
  ...process.env,
  TMPDIR: temp,
  CONFIG_SERVER_PORT: '18282',
  PORT: '18280',
  CONFIG_CACHE_DIR: join(temp, 'cache'),
}
const sidecar = spawn(
  process.execPath,
  [
    'sidecar/main.mjs',
    '--default-source',
    'file:samples/config',
    '--default-keys',
    'samples/demo-only.private.jwks.json',
  ],
  { cwd: push, env, stdio: 'ignore' },
)
const app = spawn(process.execPath, ['app/main.mjs'], { cwd: push, env, stdio: 'ignore' })
try {
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
  await page.goto('http://127.0.0.1:18280/')
  await page.locator('#config', { hasText: 'greeting' }).waitFor({ timeout: 5000 })
  await page.locator('#ready', { hasText: 'ready' }).waitFor({ timeout: 5000 })
  await page.screenshot({ path: join(root, 'docs', 'demo-page.png'), fullPage: true })
  await browser.close()
  process.stdout.write('wrote docs/demo-page.png\n')
} finally {
  sidecar.kill()
  app.kill()
  await rm(temp, { recursive: true, force: true })
}
