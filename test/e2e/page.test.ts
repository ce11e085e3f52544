// The demo page in a real browser (Debian's Chromium driven by playwright-core): it is painted on
// the server with the redacted config, follows changes live without a reload, says only what it
// knows in its badges, and never holds a secret. The app and the sidecar are the built push
// directory's, as real processes.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { run, spawnApp, spawnSidecar } from '../../test-support/processes.js'
import type { Running, SidecarProcess } from '../../test-support/processes.js'

const root = join(import.meta.dirname, '..', '..')
const push = join(root, 'dist', 'push')
// The app under test; DEMO_APP_MAIN runs these cases against another build of it (an older one,
// to see them fail).
const APP_MAIN = process.env['DEMO_APP_MAIN'] ?? join(push, 'app', 'main.mjs')
const CHROMIUM = '/usr/bin/chromium'
// CI installs Chromium and sets REQUIRE_BROWSER=1, so there this test can never be skipped.
const browserMissing = !existsSync(CHROMIUM) && process.env['REQUIRE_BROWSER'] !== '1'
const SECRET = `page-secret-${Math.random().toString(36).slice(2)}`
const DB_SECRET = `page-db-secret-${Math.random().toString(36).slice(2)}`

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess
let app: Running
let browser: Browser
let appUrl: string
let configFile: string
let goodConfig: string
const apps: Running[] = []

async function cli(args: string[]): Promise<string> {
  const child = run(process.execPath, [join(push, 'sidecar', 'main.mjs'), ...args], {
    cwd: dir.path,
  })
  expect(await child.exited).toBe(0)
  return child.output()
}

async function encrypt(keys: string, value: string): Promise<string> {
  return (await cli(['encrypt', '--key', join(dir.path, `${keys}.public.jwks.json`), value])).trim()
}

/** Starts another app process beside the same sidecar; returns its URL. */
async function startApp(): Promise<{ url: string; proc: Running }> {
  const { proc, url } = await spawnApp(dir.path, sidecar.port, {}, { main: APP_MAIN })
  apps.push(proc)
  return { url: `${url}/`, proc }
}

beforeAll(async () => {
  if (browserMissing) return
  dir = await tempDir()
  await cli(['keygen', '--type', 'ec', '--kid', 'page-test', '--out', join(dir.path, 'keys')])
  await cli(['keygen', '--type', 'ec', '--kid', 'not-held', '--out', join(dir.path, 'other')])
  configFile = join(dir.path, 'config.yaml')
  goodConfig = [
    'greeting: first greeting',
    'api:',
    `  key: "${await encrypt('keys', SECRET)}"`,
    'database:',
    '  user: orders',
    `  password: "${await encrypt('keys', DB_SECRET)}"`,
    '',
  ].join('\n')
  await writeFile(configFile, goodConfig)
  // The sidecar makes its own token; the apps find it in XDG_RUNTIME_DIR (dir), as on a platform.
  sidecar = await spawnSidecar(
    dir.path,
    {
      CONFIG_SOURCE: `file:${configFile}`,
      CONFIG_KEYS: `file:${join(dir.path, 'keys.private.jwks.json')}`,
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
      CONFIG_POLL_INTERVAL: undefined,
    },
    { token: null, main: join(push, 'sidecar', 'main.mjs') },
  )
  await sidecar.proc.waitForOutput(/config changed/)
  ;({ url: appUrl, proc: app } = await startApp())
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
  await Promise.all([...apps.map((proc) => proc.stop()), sidecar?.stop()])
  await dir?.remove()
})

/** Every text the two status badges show, from the first byte of the page on. */
async function recordBadges(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { badgesSeen: string[] }).badgesSeen = seen
    const record = (): void => {
      for (const id of ['ready', 'stale']) {
        const text = document.getElementById(id)?.textContent
        if (text != null && seen.at(-1) !== `${id}:${text}` && !seen.includes(`${id}:${text}`))
          seen.push(`${id}:${text}`)
      }
    }
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      characterData: true,
    })
  })
  return () =>
    page.evaluate(() => (window as unknown as { badgesSeen: string[] }).badgesSeen.slice())
}

describe.skipIf(browserMissing)('the demo page', () => {
  it('is painted on the server: with JavaScript off it already shows the redacted config', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    const response = await page.goto(appUrl)
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(response?.headers()['x-content-type-options']).toBe('nosniff')
    await page.screenshot({ path: join(dir.path, 'first-paint.png') })
    const config = await page.locator('#config').textContent()
    expect(config).toContain('first greeting')
    expect(config).toContain('[redacted]')
    expect(config).not.toContain('Waiting')
    await expect(page.locator('#ready').textContent()).resolves.toBe('ready')
    await expect(page.locator('#stale').textContent()).resolves.toBe('fresh')
    await expect(page.locator('#etag').textContent()).resolves.toMatch(/^".+"$/)
    expect(await page.content()).not.toContain(SECRET)
    await context.close()
  })

  it('never shows a badge it cannot back: no red "unreachable" on load, then live', async () => {
    const fresh = await startApp() // a new app process: its relay has asked the sidecar nothing yet
    const page = await browser.newPage()
    const badgesSeen = await recordBadges(page)
    await page.goto(fresh.url)
    await page.waitForTimeout(3000) // the stream opens, a status poll or two
    const seen = await badgesSeen()
    expect(seen[0]).toBe('ready:ready')
    expect(seen).not.toContain('ready:unreachable')
    expect(seen).not.toContain('ready:connecting')
    expect(seen.filter((entry) => entry.startsWith('stale:'))).toEqual(['stale:fresh'])
    await page.close()
  })

  it('shows the config redacted and follows a change within 3 s without a reload', async () => {
    const page = await browser.newPage()
    const cspErrors: string[] = []
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspErrors.push(message.text())
    })
    const navigations: string[] = []
    page.on('framenavigated', (frame) => navigations.push(frame.url()))
    await page.goto(appUrl)
    await page.locator('#config', { hasText: 'first greeting' }).waitFor({ timeout: 5000 })
    await expect(page.locator('#ready').textContent()).resolves.toBe('ready')
    await expect(page.locator('#config').textContent()).resolves.toContain('[redacted]')
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 5000 })

    const text = await readFile(configFile, 'utf8')
    const changed = Date.now()
    await writeFile(configFile, text.replace('first greeting', 'second greeting'))
    await page.locator('#config', { hasText: 'second greeting' }).waitFor({ timeout: 3000 })
    expect(Date.now() - changed).toBeLessThan(3000)
    expect(navigations).toHaveLength(1)

    const html = await page.content()
    expect(html).not.toContain(SECRET)
    expect(html).toContain('[redacted]')
    expect(cspErrors).toEqual([])
    await page.close()
  })

  it('sends no secret to the browser at all, and GET /config answers the redacted view', async () => {
    const page = await browser.newPage()
    // Every body the browser got, awaited before the check: collected fire-and-forget, a body
    // still on its way would be missed and the check would pass without it.
    const bodies: Promise<string>[] = []
    page.on('response', (response) => {
      if (!response.url().endsWith('/events')) bodies.push(response.text())
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
    const config = await (await fetch(new URL('/config', appUrl))).text()
    expect(JSON.parse(config)).toMatchObject({ api: { key: '[redacted]' } })
    const received = await Promise.all(bodies)
    expect(received.length).toBeGreaterThan(0)
    const all = [...received, streamed, config, await page.content()].join('\n')
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain(DB_SECRET)
    await page.close()
  })

  it("uses a secret in the app's own process: it reads it at start, logs its key, never its value", async () => {
    await app.waitForOutput(/read secret database\.password from the sidecar/)
    for (const proc of apps) {
      expect(proc.output()).not.toContain(DB_SECRET)
      expect(proc.output()).not.toContain(SECRET)
    }
  })

  it('shows "stale" with the error code and the key path when the sidecar refuses a new version', async () => {
    const page = await browser.newPage()
    await page.goto(appUrl)
    await page.locator('#config', { hasText: 'greeting' }).waitFor({ timeout: 5000 })
    const refused = `${goodConfig}extra:\n  token: "${await encrypt('other', 'never-decrypted')}"\n`
    await writeFile(configFile, refused)
    await page.locator('#stale', { hasText: 'stale' }).waitFor({ timeout: 8000 })
    const reason = await page.locator('#stale-reason').textContent()
    expect(reason).toContain('ERR_SECRET_KEY_NOT_FOUND')
    expect(reason).toContain('extra.token')
    // A reload paints the same on the server.
    await page.reload()
    await expect(page.locator('#stale').textContent()).resolves.toBe('stale')
    await expect(page.locator('#stale-reason').textContent()).resolves.toContain('extra.token')
    await writeFile(configFile, goodConfig)
    await page.locator('#stale', { hasText: 'fresh' }).waitFor({ timeout: 8000 })
    await page.close()
  })
})
