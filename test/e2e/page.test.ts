// The demo page in a real browser (Debian's Chromium driven by playwright-core): it shows the
// redacted config and follows changes live, without a reload and without a secret in its HTML.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, freePort, run, tempDir } from '../../test-support/helpers.js'
import type { Running } from '../../test-support/helpers.js'

const root = join(import.meta.dirname, '..', '..')
const push = join(root, 'dist', 'push')
const CHROMIUM = '/usr/bin/chromium'
// CI installs Chromium and sets REQUIRE_BROWSER=1, so there this test can never be skipped.
const browserMissing = !existsSync(CHROMIUM) && process.env['REQUIRE_BROWSER'] !== '1'
const SECRET = `page-secret-${Math.random().toString(36).slice(2)}`

let dir: { path: string; remove: () => Promise<void> }
let sidecar: Running
let app: Running
let browser: Browser
let appUrl: string
let configFile: string

async function cli(args: string[], input?: string): Promise<string> {
  const child = run(process.execPath, [join(push, 'sidecar', 'main.mjs'), ...args], {
    cwd: dir.path,
  })
  if (input !== undefined) child.child.stdin?.end(input)
  expect(await child.exited).toBe(0)
  return child.output()
}

beforeAll(async () => {
  if (browserMissing) return
  dir = await tempDir()
  await cli(['keygen', '--type', 'ec', '--kid', 'page-test', '--out', join(dir.path, 'keys')])
  const secret = (
    await cli(['encrypt', '--key', join(dir.path, 'keys.public.jwks.json'), SECRET])
  ).trim()
  configFile = join(dir.path, 'config.yaml')
  await writeFile(configFile, `greeting: first greeting\napi:\n  key: "${secret}"\n`)
  const sidecarPort = await freePort()
  const appPort = await freePort()
  appUrl = `http://127.0.0.1:${appPort}/`
  const env = { CONFIG_SERVER_PORT: String(sidecarPort), TMPDIR: dir.path }
  sidecar = run(process.execPath, [join(push, 'sidecar', 'main.mjs')], {
    cwd: dir.path,
    env: cleanEnv({
      ...env,
      CONFIG_SOURCE: `file:${configFile}`,
      CONFIG_KEYS: `file:${join(dir.path, 'keys.private.jwks.json')}`,
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
    }),
  })
  app = run(process.execPath, [join(push, 'app', 'main.mjs')], {
    cwd: dir.path,
    env: cleanEnv({ ...env, PORT: String(appPort) }),
  })
  await Promise.all([
    sidecar.waitForOutput(/config changed/),
    app.waitForOutput(/demo app listening/),
  ])
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  await Promise.all([app?.stop(), sidecar?.stop()])
  await dir?.remove()
})

describe.skipIf(browserMissing)('the demo page', () => {
  it('shows the config redacted and follows a change within 3 s without a reload', async () => {
    const page = await browser.newPage()
    const navigations: string[] = []
    page.on('framenavigated', (frame) => navigations.push(frame.url()))
    await page.goto(appUrl)
    await page.locator('#config', { hasText: 'first greeting' }).waitFor({ timeout: 5000 })
    await expect(page.locator('#ready').textContent()).resolves.toBe('ready')
    await expect(page.locator('#config').textContent()).resolves.toContain('[redacted]')

    const text = await readFile(configFile, 'utf8')
    const changed = Date.now()
    await writeFile(configFile, text.replace('first greeting', 'second greeting'))
    await page.locator('#config', { hasText: 'second greeting' }).waitFor({ timeout: 3000 })
    expect(Date.now() - changed).toBeLessThan(3000)
    expect(navigations).toHaveLength(1)

    const html = await page.content()
    expect(html).not.toContain(SECRET)
    expect(html).toContain('[redacted]')
    await page.close()
  })

  it('sends no secret to the browser at all', async () => {
    const page = await browser.newPage()
    const bodies: string[] = []
    page.on('response', (response) => {
      if (!response.url().endsWith('/events'))
        void response.text().then(
          (body) => bodies.push(body),
          () => undefined,
        )
    })
    await page.goto(appUrl)
    await page.locator('#config', { hasText: 'greeting' }).waitFor({ timeout: 5000 })
    const streamed = await page.evaluate(async () => {
      const events = new EventSource('/events')
      const data = await new Promise<string>((resolve) =>
        events.addEventListener('config', (event) => resolve(event.data)),
      )
      events.close()
      return data
    })
    expect(streamed).toContain('[redacted]')
    expect([...bodies, streamed, await page.content()].join('\n')).not.toContain(SECRET)
    await page.close()
  })
})
